import { z } from 'zod';
import type { ErrorCode } from './error-codes';
import { userIdSchema, type Role, type SessionId, type UserId } from './ids';
import type { SessionEndReason } from './user-logged-out';

/** Stable `connect_error` messages for refused handshakes. */
export type HandshakeErrorCode = Extract<
  ErrorCode,
  'UNAUTHORIZED' | 'TOKEN_EXPIRED' | 'SESSION_REVOKED' | 'ORIGIN_NOT_ALLOWED' | 'RATE_LIMITED' | 'UNAVAILABLE' | 'TOO_MANY_CONNECTIONS'
>;

/**
 * Why the server ended a socket; sent in `session:ended` just before it disconnects the socket. Besides the
 * session-end reasons: `expired` (the credential expired and was not refreshed in-band) and `evicted`
 * (the user opened more sockets than the per-user limit allows; this was the oldest).
 */
export type SocketEndReason = SessionEndReason | 'expired' | 'evicted';

/**
 * How deeply an event's payload may nest arrays and objects (the payload itself is level 1). A deeper event is
 * refused with `INVALID_INPUT` before any validation: a few thousand levels fit in one message and would
 * overflow the stack of recursive code such as schema validation or JSON.stringify.
 */
export const MAX_PAYLOAD_DEPTH = 32;

const text = z.string().trim().min(1).max(2000);
export const roomNameSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'room names are 1-64 of A-Z a-z 0-9 _ . : -');
export const sessionDataKeySchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys are 1-64 of A-Z a-z 0-9 _ . -');

export const dmPayloadSchema = z.strictObject({ toUserId: userIdSchema, text });
export const roomPayloadSchema = z.strictObject({ room: roomNameSchema });
export const roomMessagePayloadSchema = z.strictObject({ room: roomNameSchema, text });
/** `value` is any JSON value; its serialized size is limited by the gateway's config. */
export const authRefreshPayloadSchema = z.strictObject({ token: z.string().min(1).max(4096) });
export const sessionSetPayloadSchema = z.strictObject({ key: sessionDataKeySchema, value: z.json() });

export type DmPayload = z.infer<typeof dmPayloadSchema>;
export type RoomPayload = z.infer<typeof roomPayloadSchema>;
export type RoomMessagePayload = z.infer<typeof roomMessagePayloadSchema>;
export type SessionSetPayload = z.infer<typeof sessionSetPayloadSchema>;
export type AuthRefreshPayload = z.infer<typeof authRefreshPayloadSchema>;
export type SessionData = Record<string, z.infer<ReturnType<typeof z.json>>>;

/** Every acknowledgement is either `{ok: true, ...result}` or `{ok: false, error}`. */
export type Ack<Result extends object = object> = ({ ok: true } & Result) | { ok: false; error: { code: ErrorCode; message: string } };

export interface WhoAmI {
  userId: UserId;
  sessionId: SessionId;
  nodeId: string;
  roles: Role[];
}

export interface NodeStats {
  nodeId: string;
  connections: number;
}

/** Client → server events, with their acknowledgement types. */
export interface ClientToServerEvents {
  whoami: (ack: (reply: Ack<WhoAmI>) => void) => void;
  dm: (payload: DmPayload, ack?: (reply: Ack) => void) => void;
  'room:join': (payload: RoomPayload, ack?: (reply: Ack) => void) => void;
  'room:leave': (payload: RoomPayload, ack?: (reply: Ack) => void) => void;
  'room:message': (payload: RoomMessagePayload, ack?: (reply: Ack) => void) => void;
  'session:get': (ack: (reply: Ack<{ data: SessionData }>) => void) => void;
  'session:set': (payload: SessionSetPayload, ack?: (reply: Ack) => void) => void;
  /** Hands the server a fresh access token of the same session, so the socket outlives the old token's `exp`. */
  'auth:refresh': (payload: AuthRefreshPayload, ack: (reply: Ack<{ exp: number }>) => void) => void;
  /** Admin only. */
  'admin:stats': (ack: (reply: Ack<NodeStats>) => void) => void;
}

/** Server → client events. */
export interface ServerToClientEvents {
  /** The session ended; the server disconnects the socket right after. Do not reconnect with the same credentials. */
  'session:ended': (payload: { reason: SocketEndReason; sessionId: SessionId }) => void;
  dm: (payload: { fromUserId: UserId; text: string; at: number }) => void;
  'room:message': (payload: { room: string; fromUserId: UserId; text: string; at: number }) => void;
  /** The socket's credential expires at `exp` (epoch seconds) unless `auth:refresh` brings a fresh token first. */
  'auth:expiring': (payload: { exp: number }) => void;
  /** This node is shutting down: the connection closes shortly. Reconnect (to another node); this is not a logout. */
  'server:draining': (payload: { reconnect: true }) => void;
  /** A value of this session's data changed (from any socket of the session, on any node). */
  'session:data': (payload: { key: string; value: SessionData[string] }) => void;
}

/** Gateway ↔ gateway messages through the Socket.IO Redis adapter. */
/** A socket the per-user limit evicted: its id (it may live on any node) and its session, for `session:ended`. */
export interface SocketEviction {
  socketId: string;
  sessionId: SessionId;
}

export interface InterServerEvents {
  'session:data': (payload: { userId: UserId; sessionId: SessionId; key: string; value: SessionData[string] }) => void;
  /** Sockets evicted over the per-user limit, for every node to end (or to end when they connect). */
  'sockets:evicted': (evicted: SocketEviction[]) => void;
}
