export { createSessionwire, type Sessionwire, type SessionwireLocalSockets, type SessionwireSocket, type SessionwireStatus } from './sessionwire';
export type { MetricsRegistry, SessionwireOptions, SessionwireRedis } from './config/options';
export type { SessionwireLogger } from './config/logger';
export { sessionwireRooms, type JsonValue, type SessionwireInterServerEvents, type SessionwireSocketData } from './sockets/socket-types';
export { InvalidSessionwireOptionsError, JwksUnavailableError, SessionwireAttachError, SessionwireRedisUnreachableError } from './config/errors';
export {
  HANDSHAKE_ERROR_CODES,
  SESSIONWIRE_SUBPROTOCOL,
  SOCKET_END_REASONS,
  SUBPROTOCOL_BEARER_PREFIX,
  type Ack,
  type HandshakeErrorCode,
  type SessionClientToServerEvents,
  type SessionServerToClientEvents,
  type SocketEndReason,
} from '@app/contracts';
