import { sessionIdSchema, userIdSchema, userLoggedOutSchema, sessionEndReasonSchema, type SessionEndReason, type SessionId, type UserId } from '@app/contracts';
import { z } from 'zod';
import { InvalidRevocationError } from './revoke-errors';

/** What `endSessions` does. */
export interface EndSessionsInput {
  /** The user whose sessions end (a UUIDv4). */
  userId: UserId;
  /** The sessions to end (1 to 10,000 session ids), or `null` for every session of the user. */
  sessionIds: readonly SessionId[] | null;
  /** Why, as told to the sockets in `session:ended`. */
  reason: SessionEndReason;
  /**
   * Wait for the live gateway nodes to acknowledge the message, each with how many sockets it closed.
   * Without it the call returns as soon as the sessions are deleted and the message published.
   * @default undefined (no waiting)
   */
  confirm?: ConfirmOption;
  /**
   * For a user ending their own sessions: end nothing unless this session of the same user is still alive when the
   * script runs (and, with `cookieHash`, its record still holds that cookie hash), so a credential revoked in the
   * meantime cannot act. Refused with `CallerSessionEndedError`.
   * @default undefined (no condition)
   */
  caller?: {
    sessionId: SessionId;
    /** The `cookieHash` field the session record must hold. @default null (any) */
    cookieHash?: string | null;
  };
}

/** Waiting for the live gateway nodes' acknowledgements of the published message. */
export interface ConfirmOption {
  /**
   * How long to wait; at the deadline the call resolves, naming the nodes that did not answer.
   * @default 2000
   */
  timeoutMs?: number;
}

export const DEFAULT_CONFIRM_TIMEOUT_MS = 2000;

export const confirmSchema = z.strictObject({ timeoutMs: z.number().int().positive().max(2 ** 31 - 1).optional() });

const endSessionsInputSchema = z.strictObject({
  userId: userIdSchema,
  sessionIds: userLoggedOutSchema.shape.sessionIds,
  reason: sessionEndReasonSchema,
  confirm: confirmSchema.optional(),
  caller: z.strictObject({ sessionId: sessionIdSchema, cookieHash: z.string().min(1).nullable().optional() }).optional(),
});

/** The input checked against the `user-logged-out` contract; throws `InvalidRevocationError` naming what is wrong. */
export function validateEndSessionsInput(input: EndSessionsInput): EndSessionsInput {
  const result = endSessionsInputSchema.safeParse(input);
  if (!result.success) throw new InvalidRevocationError(`Invalid endSessions input: ${z.prettifyError(result.error)}`);
  return result.data;
}
