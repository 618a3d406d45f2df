import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { sessionIdSchema, userIdSchema, type SessionId, type UserId } from './ids';
import { SESSION_END_REASONS, type SessionEndReason } from './session-protocol';

/** Redis pub/sub channel on which every session end is announced to the gateways. */
export const USER_LOGGED_OUT_CHANNEL = 'user-logged-out';

export const sessionEndReasonSchema = z.enum(SESSION_END_REASONS);

/**
 * The `user-logged-out` message, version 1. Publishers delete the session records before publishing (the
 * auth service does both in one Redis script), so a subscriber that misses a message still finds the
 * session gone when it re-checks.
 */
export const userLoggedOutSchema = z.strictObject({
  v: z.literal(1),
  /** Unique per message; subscribers use it to ignore duplicates. */
  id: z.uuid(),
  userId: userIdSchema,
  /** The sessions ended (those of them that were still alive); `null` means every session of the user. */
  sessionIds: z.array(sessionIdSchema).min(1).max(10_000).nullable(),
  reason: sessionEndReasonSchema,
  /** Epoch milliseconds at which the revocation was issued (just before the deletion, in the same request). */
  at: z.number().int().positive(),
});
export type UserLoggedOut = z.infer<typeof userLoggedOutSchema>;

export function createUserLoggedOut(
  userId: UserId,
  sessionIds: SessionId[] | null,
  reason: SessionEndReason,
): UserLoggedOut {
  return { v: 1, id: randomUUID(), userId, sessionIds, reason, at: Date.now() };
}

/**
 * The `user-logged-out` message, version 2: a session of an external OpenID Provider ended (its back-channel logout).
 * Sessions of the auth service keep being announced as version 1, so subscribers written for version 1 keep working;
 * they skip version 2 as unknown. Publishers record the end in Redis before publishing (`redisKeys.externalSessionEnded`,
 * `externalUserEndedBefore`), so a subscriber that misses the message still refuses and re-checks by the record.
 */
export const externalUserLoggedOutSchema = z
  .strictObject({
    v: z.literal(2),
    id: z.uuid(),
    /** The provider's `iss`. */
    issuer: z.string().min(1).max(2048),
    /** The provider's user id (its `sub`); null when the provider named only the session. */
    subject: z.string().min(1).max(1024).nullable(),
    /** The provider's session id (its `sid`); null means every session of `subject` that started at or before `at`. */
    providerSessionId: z.string().min(1).max(1024).nullable(),
    reason: sessionEndReasonSchema,
    /**
     * Epoch milliseconds of the end, by the provider's clock when it said (a logout token's `iat`, to the end of that
     * second), so it compares with session starts (`auth_time`) from the same clock; else when the end was recorded.
     */
    at: z.number().int().positive(),
  })
  .refine((message) => message.subject !== null || message.providerSessionId !== null, 'subject and providerSessionId cannot both be null');
export type ExternalUserLoggedOut = z.infer<typeof externalUserLoggedOutSchema>;

export function createExternalUserLoggedOut(
  issuer: string,
  ended: { subject: string; providerSessionId: string | null } | { subject: string | null; providerSessionId: string },
  reason: SessionEndReason,
  at = Date.now(),
): ExternalUserLoggedOut {
  return { v: 2, id: randomUUID(), issuer, subject: ended.subject, providerSessionId: ended.providerSessionId, reason, at };
}

/** Any version of the `user-logged-out` message. */
export type AnyUserLoggedOut = UserLoggedOut | ExternalUserLoggedOut;
const anyUserLoggedOutSchema = z.discriminatedUnion('v', [userLoggedOutSchema, externalUserLoggedOutSchema]);

/** A channel payload read as a message, or why it could not be. */
export type ChannelMessageParseResult<Message> = { ok: true; message: Message } | { ok: false; error: string };
export type UserLoggedOutParseResult = ChannelMessageParseResult<AnyUserLoggedOut>;

/** Parses a raw channel payload (either version); never throws, so a malformed message cannot take a subscriber down. */
export function parseUserLoggedOut(payload: string): UserLoggedOutParseResult {
  return parseChannelMessage(anyUserLoggedOutSchema, payload);
}

/** Channel on which each gateway acknowledges every `user-logged-out` message it handled. */
export const USER_LOGGED_OUT_ACK_CHANNEL = 'user-logged-out:ack';

export const userLoggedOutAckSchema = z.strictObject({
  v: z.literal(1),
  /** The `id` of the acknowledged message. */
  id: z.uuid(),
  nodeId: z.string().min(1).max(64),
  /** Sockets this node closed for the message. */
  closedSockets: z.number().int().min(0),
});
export type UserLoggedOutAck = z.infer<typeof userLoggedOutAckSchema>;

/** Parses a raw ack payload; never throws. */
export function parseUserLoggedOutAck(payload: string): ChannelMessageParseResult<UserLoggedOutAck> {
  return parseChannelMessage(userLoggedOutAckSchema, payload);
}

function parseChannelMessage<Message>(schema: z.ZodType<Message>, payload: string): ChannelMessageParseResult<Message> {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, error: 'payload is not JSON' };
  }
  const result = schema.safeParse(json);
  return result.success ? { ok: true, message: result.data } : { ok: false, error: z.prettifyError(result.error) };
}
