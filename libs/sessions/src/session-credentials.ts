import { createHash, randomBytes } from 'node:crypto';
import { sessionIdSchema, userIdSchema, type SessionId, type UserId } from '@app/contracts';

/**
 * A session has a public id (in tokens, APIs, pub/sub) and two secrets that prove possession of it: the
 * cookie secret and the current refresh secret. Only SHA-256 hashes of the secrets are stored, so neither
 * a Redis dump nor a published session id lets anyone act as the session.
 */
export interface SessionSecretHolder {
  userId: UserId;
  sessionId: SessionId;
  secret: string;
}

const SECRET = /^[A-Za-z0-9_-]{43}$/;
const REFRESH_TOKEN_PREFIX = 'rt1';

export function newSessionId(): SessionId {
  return randomBytes(18).toString('base64url');
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Session cookie value: `<userId>.<sessionId>.<secret>`. */
export function formatSessionCookie({ userId, sessionId, secret }: SessionSecretHolder): string {
  return `${userId}.${sessionId}.${secret}`;
}

/** Refresh token: `rt1.<userId>.<sessionId>.<secret>`; opaque to clients. */
export function formatRefreshToken({ userId, sessionId, secret }: SessionSecretHolder): string {
  return `${REFRESH_TOKEN_PREFIX}.${userId}.${sessionId}.${secret}`;
}

export function parseSessionCookie(value: string): SessionSecretHolder | null {
  const parts = value.split('.');
  return parts.length === 3 ? toHolder(parts[0], parts[1], parts[2]) : null;
}

export function parseRefreshToken(value: string): SessionSecretHolder | null {
  const parts = value.split('.');
  return parts.length === 4 && parts[0] === REFRESH_TOKEN_PREFIX ? toHolder(parts[1], parts[2], parts[3]) : null;
}

function toHolder(userId: string, sessionId: string, secret: string): SessionSecretHolder | null {
  if (!userIdSchema.safeParse(userId).success || !sessionIdSchema.safeParse(sessionId).success || !SECRET.test(secret)) return null;
  return { userId, sessionId, secret };
}
