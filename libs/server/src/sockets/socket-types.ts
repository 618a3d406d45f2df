import type { SessionClientToServerEvents, SessionServerToClientEvents, SocketEviction } from '@app/contracts';
import type { Server, Socket } from 'socket.io';

/** Any JSON value (session data values). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What the handshake proved, on `socket.data` for the socket's whole life. */
export interface SessionwireSocketData {
  userId: string;
  sessionId: string;
  roles: string[];
  /** The session's data as loaded at the handshake. */
  sessionData: Record<string, JsonValue>;
  /** Epoch ms. */
  connectedAt: number;
  /** Epoch ms at which the socket's credential expires (the access token's `exp`; for the cookie, the session's end); `auth:refresh` moves it. */
  credentialExpiresAt: number;
}

/** Node ↔ node messages sessionwire sends through the app's adapter (`serverSideEmit`). */
export interface SessionwireInterServerEvents {
  /** Sockets evicted over the per-user limit, for every node to end (or to end when they connect). */
  'sockets:evicted': (evicted: SocketEviction[]) => void;
}

export type WireServer = Server<SessionClientToServerEvents, SessionServerToClientEvents, SessionwireInterServerEvents, SessionwireSocketData>;
export type WireSocket = Socket<SessionClientToServerEvents, SessionServerToClientEvents, SessionwireInterServerEvents, SessionwireSocketData>;

/** The rooms every socket joins at the handshake: its user's and its session's. */
export const sessionwireRooms = {
  user: (userId: string) => `user:${userId}`,
  session: (sessionId: string) => `session:${sessionId}`,
};
