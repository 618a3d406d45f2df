import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents } from '@app/contracts';
import type { SessionwireSocketData } from '@sessionwire/nest';
import type { Server, Socket } from 'socket.io';

/**
 * The demo's sockets: our event maps over the session layer's `socket.data` (what the handshake proved; its
 * `sessionData` kept current by `session:set` from any node).
 */
export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SessionwireSocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SessionwireSocketData>;

/** The demo's chat rooms (each socket's `user:` and `session:` rooms are sessionwire's, `sessionwireRooms`). */
export const chatRoom = (name: string) => `room:${name}`;
