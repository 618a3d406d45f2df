import type { ErrorCode } from './error-codes';
import type { SessionId } from './ids';

// The session layer's socket protocol, in plain TypeScript: the client SDK's published types are built from this
// file and must need nothing but socket.io-client. The server's zod schemas are built from these arrays or checked
// against these types.

/** Stable `connect_error` messages for refused handshakes. */
export const HANDSHAKE_ERROR_CODES = [
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'SESSION_REVOKED',
  'ORIGIN_NOT_ALLOWED',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TOO_MANY_CONNECTIONS',
] as const satisfies readonly ErrorCode[];
export type HandshakeErrorCode = (typeof HANDSHAKE_ERROR_CODES)[number];

/** Why a session ended, in the `user-logged-out` message and in `session:ended`. */
/** `provider_logout`: the user's session at an external OpenID Provider ended (back-channel logout). */
export const SESSION_END_REASONS = ['logout', 'logout_all', 'session_revoked', 'refresh_reuse', 'admin_revoke', 'provider_logout'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/**
 * Why the server ended a socket; sent in `session:ended` just before it disconnects the socket. Besides the
 * session-end reasons: `expired` (the credential expired and was not refreshed in-band) and `evicted`
 * (the user opened more sockets than the per-user limit allows; this was the oldest).
 */
export const SOCKET_END_REASONS = [...SESSION_END_REASONS, 'expired', 'evicted'] as const;
export type SocketEndReason = (typeof SOCKET_END_REASONS)[number];

/** Every acknowledgement is either `{ok: true, ...result}` or `{ok: false, error}`. */
export type Ack<Result extends object = object> = ({ ok: true } & Result) | { ok: false; error: { code: ErrorCode; message: string } };

/** `auth:refresh`: a fresh access token of the same session. */
export interface AuthRefreshPayload {
  token: string;
}

/** Server → client events of the session layer, sent to every socket whatever the app's own events are. */
export interface SessionServerToClientEvents {
  /** The session ended; the server disconnects the socket right after. Do not reconnect with the same credentials. */
  'session:ended': (payload: { reason: SocketEndReason; sessionId: SessionId }) => void;
  /** The socket's credential expires at `exp` (epoch seconds) unless `auth:refresh` brings a fresh token first. */
  'auth:expiring': (payload: { exp: number }) => void;
  /** This node is shutting down: the connection closes shortly. Reconnect (to another node); this is not a logout. */
  'server:draining': (payload: { reconnect: true }) => void;
}

/** Client → server events of the session layer, with their acknowledgement types. */
export interface SessionClientToServerEvents {
  /** Hands the server a fresh access token of the same session, so the socket outlives the old token's `exp`. */
  'auth:refresh': (payload: AuthRefreshPayload, ack: (reply: Ack<{ exp: number }>) => void) => void;
}

/**
 * The `Sec-WebSocket-Protocol` carrier, for WebSocket clients that can send neither a Socket.IO `auth` payload nor
 * headers: the client offers `SESSIONWIRE_SUBPROTOCOL` and `SUBPROTOCOL_BEARER_PREFIX + accessToken`
 * (`new WebSocket(url, ['sessionwire.v1', 'sessionwire.bearer.<jwt>'])`); the server selects only
 * `SESSIONWIRE_SUBPROTOCOL`. A JWT (base64url parts joined by dots) is a valid protocol token as it is.
 */
export const SESSIONWIRE_SUBPROTOCOL = 'sessionwire.v1';
export const SUBPROTOCOL_BEARER_PREFIX = 'sessionwire.bearer.';
