import type { ClientToServerEvents, InterServerEvents, Role, ServerToClientEvents, SessionData, SessionId, UserId } from '@app/contracts';
import type { Server, Socket } from 'socket.io';

/** What the handshake proved, kept on the socket for its whole life (`socket.data`). */
export interface SocketData {
  userId: UserId;
  sessionId: SessionId;
  roles: Role[];
  /** The session's data as loaded at the handshake, kept current by `session:set` from any node. */
  sessionData: SessionData;
  connectedAt: number;
  /** Epoch ms at which the socket's credential expires (access token `exp`; for the cookie, the session's end). */
  credentialExpiresAt: number;
}

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Socket.IO rooms: every socket joins its user's and its session's room at the handshake. */
export const rooms = {
  user: (userId: UserId) => `user:${userId}`,
  session: (sessionId: SessionId) => `session:${sessionId}`,
  chat: (name: string) => `room:${name}`,
};
