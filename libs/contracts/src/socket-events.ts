import { z } from 'zod';
import { userIdSchema, type Role, type SessionId, type UserId } from './ids';
import type { Ack, AuthRefreshPayload, SessionClientToServerEvents, SessionServerToClientEvents } from './session-protocol';

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
export const authRefreshPayloadSchema = z.strictObject({ token: z.string().min(1).max(4096) }) satisfies z.ZodType<AuthRefreshPayload>;
const sessionSetPayloadSchema = z.strictObject({ key: sessionDataKeySchema, value: z.json() });

export type SessionData = Record<string, z.infer<ReturnType<typeof z.json>>>;

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

/**
 * A client → server event: its payload's schema (`null`: the event carries only its ack callback) and, as a type
 * only, what its ack answers on success.
 */
export interface ClientEventSpec<Payload extends z.ZodType | null, Reply extends object> {
  payload: Payload;
  /** Never set: carries the ack's result type. */
  readonly reply?: Reply;
}

function clientEvent<Reply extends object = object>() {
  return <Payload extends z.ZodType | null>(payload: Payload): ClientEventSpec<Payload, Reply> => ({ payload });
}

/**
 * The demo's client → server events, the one place each is declared: its name, the schema its payload is validated
 * with at the gateway, and its ack's result. `ClientToServerEvents` is derived from it, and the gateway's handlers
 * take their names and schemas from it.
 */
export const clientEvents = {
  whoami: clientEvent<WhoAmI>()(null),
  dm: clientEvent()(dmPayloadSchema),
  'room:join': clientEvent()(roomPayloadSchema),
  'room:leave': clientEvent()(roomPayloadSchema),
  'room:message': clientEvent()(roomMessagePayloadSchema),
  'session:get': clientEvent<{ data: SessionData }>()(null),
  'session:set': clientEvent()(sessionSetPayloadSchema),
  /** Admin only. */
  'admin:stats': clientEvent<NodeStats>()(null),
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
