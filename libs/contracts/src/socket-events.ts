import { z } from 'zod';
import { ERROR_CODES } from './error-codes';
import { roleSchema, sessionIdSchema, userIdSchema, type Role, type SessionId, type UserId } from './ids';
import {
  HANDSHAKE_ERROR_CODES,
  SOCKET_END_REASONS,
  type Ack,
  type AuthRefreshPayload,
  type SessionClientToServerEvents,
  type SessionServerToClientEvents,
} from './session-protocol';

/**
 * How deeply an event's payload may nest arrays and objects (the payload itself is level 1). A deeper event is
 * refused with `INVALID_INPUT` before any validation: a few thousand levels fit in one message and would
 * overflow the stack of recursive code such as schema validation or JSON.stringify.
 */
export const MAX_PAYLOAD_DEPTH = 32;

const text = z.string().trim().min(1).max(2000);
export const roomNameSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'room names are 1-64 of A-Z a-z 0-9 _ . : -');
export const sessionDataKeySchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys are 1-64 of A-Z a-z 0-9 _ . -');

const dmPayloadSchema = z.strictObject({ toUserId: userIdSchema, text });
const roomPayloadSchema = z.strictObject({ room: roomNameSchema });
const roomMessagePayloadSchema = z.strictObject({ room: roomNameSchema, text });
/** `value` is any JSON value; its serialized size is limited by the gateway's config. */
/**
 * The longest access token a socket takes, from any carrier at the handshake and in `auth:refresh`: as much as Node's
 * default header limit lets through (room for an OpenID Provider's token with many group claims), while a hostile
 * client cannot make the server decode a megabyte-sized `auth.token`.
 */
export const MAX_ACCESS_TOKEN_LENGTH = 16_384;
export const authRefreshPayloadSchema = z.strictObject({ token: z.string().min(1).max(MAX_ACCESS_TOKEN_LENGTH) }) satisfies z.ZodType<AuthRefreshPayload>;
/** Any JSON value (a session data value). */
// Registered rather than `.meta()` (which copies): its recursion then refers to this very schema, so the JSON Schema has
// one `JsonValue` definition instead of an anonymous one beside it.
export const jsonValueSchema = z.json().register(z.globalRegistry, { id: 'JsonValue' });
const sessionSetPayloadSchema = z.strictObject({ key: sessionDataKeySchema, value: jsonValueSchema });

export type SessionData = Record<string, z.infer<typeof jsonValueSchema>>;

export interface WhoAmI {
  userId: UserId;
  sessionId: SessionId;
  nodeId: string;
  roles: Role[];
}
const whoAmISchema = z.strictObject({ userId: userIdSchema, sessionId: sessionIdSchema, nodeId: z.string(), roles: z.array(roleSchema) }) satisfies z.ZodType<WhoAmI>;

export interface NodeStats {
  nodeId: string;
  connections: number;
}
const nodeStatsSchema = z.strictObject({ nodeId: z.string(), connections: z.number().int().min(0) }) satisfies z.ZodType<NodeStats>;

/**
 * A client → server event: its payload's schema (`null`: the event carries only its ack callback) and, as a type
 * only, what its ack answers on success (`ack`, the same as a schema, for the AsyncAPI document).
 */
export interface ClientEventSpec<Payload extends z.ZodType | null, Reply extends object> {
  payload: Payload;
  /** What the ack carries besides `ok: true`. */
  ack: ReplySchema<Reply>;
  /** Never set: carries the ack's result type. */
  readonly reply?: Reply;
}

/** An ack's result as a schema: an object schema, so that `ok` can be added to it. */
export type ReplySchema<Reply extends object> = z.ZodObject & z.ZodType<Reply>;

const noReplySchema = z.strictObject({});

function clientEvent<Reply extends object = object>(ack: ReplySchema<Reply> = noReplySchema as ReplySchema<Reply>) {
  return <Payload extends z.ZodType | null>(payload: Payload): ClientEventSpec<Payload, Reply> => ({ payload, ack });
}

/**
 * The demo's client → server events, the one place each is declared: its name, the schema its payload is validated
 * with at the gateway, and its ack's result. `ClientToServerEvents` is derived from it, and the gateway's handlers
 * take their names and schemas from it.
 */
export const clientEvents = {
  whoami: clientEvent<WhoAmI>(whoAmISchema)(null),
  dm: clientEvent()(dmPayloadSchema),
  'room:join': clientEvent()(roomPayloadSchema),
  'room:leave': clientEvent()(roomPayloadSchema),
  'room:message': clientEvent()(roomMessagePayloadSchema),
  'session:get': clientEvent<{ data: SessionData }>(z.strictObject({ data: z.record(z.string(), jsonValueSchema) }))(null),
  'session:set': clientEvent()(sessionSetPayloadSchema),
  /** Admin only. */
  'admin:stats': clientEvent<NodeStats>(nodeStatsSchema)(null),
};
export type ClientEventName = keyof typeof clientEvents;
/** The events of the table that carry a payload. */
export type ClientPayloadEventName = { [Name in ClientEventName]: (typeof clientEvents)[Name]['payload'] extends z.ZodType ? Name : never }[ClientEventName];
/** The validated payload of event `Name`. */
export type ClientEventPayload<Name extends ClientPayloadEventName> = z.infer<NonNullable<(typeof clientEvents)[Name]['payload']>>;
/** What event `Name`'s ack answers. */
export type ClientEventAck<Name extends ClientEventName> = Ack<NonNullable<(typeof clientEvents)[Name]['reply']>>;

/** An event of the table as socket.io types it: the payload (when it has one), then the ack. */
type ClientEventListener<Spec> =
  Spec extends ClientEventSpec<infer Payload, infer Reply>
    ? Payload extends z.ZodType
      ? (payload: z.infer<Payload>, ack?: (reply: Ack<Reply>) => void) => void
      : (ack: (reply: Ack<Reply>) => void) => void
    : never;

/** Client → server events (the session layer's and the demo's), with their acknowledgement types. */
export type ClientToServerEvents = SessionClientToServerEvents & { [Name in ClientEventName]: ClientEventListener<(typeof clientEvents)[Name]> };

/** Server → client events (the session layer's and the demo's). */
export interface ServerToClientEvents extends SessionServerToClientEvents {
  dm: (payload: { fromUserId: UserId; text: string; at: number }) => void;
  'room:message': (payload: { room: string; fromUserId: UserId; text: string; at: number }) => void;
  /** A value of this session's data changed (from any socket of the session, on any node). */
  'session:data': (payload: { key: string; value: SessionData[string] }) => void;
}

/** Why an event failed: the error of a failed ack, and the payload of `exception` (an event sent without an ack failed). */
export const eventErrorSchema = z.strictObject({ code: z.enum(ERROR_CODES), message: z.string() });

/** What event `spec`'s ack answers, as a schema: `{ok: true, ...result}` or `{ok: false, error}`. */
export function ackSchemaOf(spec: ClientEventSpec<z.ZodType | null, object>) {
  return z.union([spec.ack.extend({ ok: z.literal(true) }), z.strictObject({ ok: z.literal(false), error: eventErrorSchema })]);
}

/** `auth:refresh` (the session layer's client event): its payload and what its ack carries. */
export const authRefreshEvent = clientEvent<{ exp: number }>(z.strictObject({ exp: z.number().int().positive() }))(authRefreshPayloadSchema);

/**
 * The payloads of the server → client events, as schemas (for the AsyncAPI document); `satisfies` keeps them equal to
 * `ServerToClientEvents`, event for event.
 */
export const serverEvents = {
  'session:ended': z.strictObject({ reason: z.enum(SOCKET_END_REASONS), sessionId: sessionIdSchema }),
  'auth:expiring': z.strictObject({ exp: z.number().int().positive().meta({ description: 'Epoch seconds.' }) }),
  'server:draining': z.strictObject({ reconnect: z.literal(true) }),
  dm: z.strictObject({ fromUserId: userIdSchema, text: z.string(), at: z.number().int().positive() }),
  'room:message': z.strictObject({ room: z.string(), fromUserId: userIdSchema, text: z.string(), at: z.number().int().positive() }),
  'session:data': z.strictObject({ key: z.string(), value: jsonValueSchema }),
} satisfies { [Name in keyof ServerToClientEvents]-?: z.ZodType<Parameters<ServerToClientEvents[Name]>[0]> };

/** A refused handshake's `connect_error`: `message` is the code, `data` is `{code, message}`. */
export const connectErrorSchema = z.strictObject({
  message: z.enum(HANDSHAKE_ERROR_CODES),
  data: z.strictObject({ code: z.enum(HANDSHAKE_ERROR_CODES), message: z.string() }),
});

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
