import { externalUserLoggedOutSchema, sessionEndReasonSchema, type SessionEndReason } from '@app/contracts';
import { z } from 'zod';
import { confirmSchema, type ConfirmOption } from './end-sessions-input';
import { InvalidRevocationError } from './revoke-errors';

/** What `endProviderSessions` does: end sessions that an external OpenID Provider started. */
export interface EndProviderSessionsInput {
  /** The provider's `iss`, exactly as in its tokens. */
  issuer: string;
  /** The provider's user id (its `sub`). Alone, it ends every session of that user that started until `endedAt`. */
  subject?: string | null;
  /** The provider's session id (its `sid`): ends that session (of `subject` only, when both are given). */
  providerSessionId?: string | null;
  /**
   * How long the end is remembered (and so refused at every handshake and refresh): at least the issuer's longest
   * token lifetime plus twice its clock skew (`endedSessionTtlSeconds` of @app/oidc), or a token issued before the end
   * could outlive the record. At most 30 days.
   */
  ttlSeconds: number;
  /**
   * When the sessions ended, in epoch ms by the provider's clock (a logout token's `iat`): with `subject` alone, every
   * session of the user whose start (`auth_time`, from that same clock) is at or before it ends. At most 5 minutes
   * ahead of this machine's clock.
   * @default Date.now()
   */
  endedAt?: number;
  /**
   * Why, as told to the sockets in `session:ended`.
   * @default 'provider_logout'
   */
  reason?: SessionEndReason;
  /**
   * The provider's id of the event that ends the sessions (a back-channel logout token's `jti`): acted on once per
   * (issuer, eventId, sessions ended) within `ttlSeconds`; a repeat changes nothing and throws `DuplicateEventError`.
   * @default undefined (every call records and publishes)
   */
  eventId?: string;
  /** As in `endSessions`. @default undefined (no waiting) */
  confirm?: ConfirmOption;
}

/** The longest an end is remembered: far beyond any token lifetime a provider issues, short of forever. */
export const MAX_PROVIDER_END_TTL_SECONDS = 30 * 86_400;

/** How far ahead of this machine's clock a provider's clock may put an end (clock skew; never "sessions of the future"). */
const MAX_END_AHEAD_MS = 5 * 60_000;

const { issuer, subject, providerSessionId } = externalUserLoggedOutSchema.shape;

/** Which sessions end, as `createExternalUserLoggedOut` takes it. */
export type ProviderSessionsEnded = { subject: string; providerSessionId: string | null } | { subject: string | null; providerSessionId: string };

const endProviderSessionsInputSchema = z
  .strictObject({
    issuer,
    subject: subject.optional(),
    providerSessionId: providerSessionId.optional(),
    ttlSeconds: z.number().int().positive().max(MAX_PROVIDER_END_TTL_SECONDS),
    endedAt: z
      .number()
      .int()
      .positive()
      .refine((at) => at <= Date.now() + MAX_END_AHEAD_MS, 'must not be more than 5 minutes ahead of now')
      .optional(),
    reason: sessionEndReasonSchema.default('provider_logout'),
    eventId: z.string().min(1).max(1024).optional(),
    confirm: confirmSchema.optional(),
  })
  .transform(({ subject = null, providerSessionId = null, ...rest }, context) => {
    let ended: ProviderSessionsEnded;
    if (providerSessionId !== null) ended = { subject, providerSessionId };
    else if (subject !== null) ended = { subject, providerSessionId };
    else {
      context.addIssue({ code: 'custom', path: ['subject'], message: 'give subject, providerSessionId or both' });
      return z.NEVER;
    }
    return { ...rest, ended };
  });

export type ValidEndProviderSessionsInput = z.output<typeof endProviderSessionsInputSchema>;

/** The input checked against the `user-logged-out` v2 contract; throws `InvalidRevocationError` naming what is wrong. */
export function validateEndProviderSessionsInput(input: EndProviderSessionsInput): ValidEndProviderSessionsInput {
  const result = endProviderSessionsInputSchema.safeParse(input);
  if (!result.success) throw new InvalidRevocationError(`Invalid endProviderSessions input: ${z.prettifyError(result.error)}`);
  return result.data;
}
