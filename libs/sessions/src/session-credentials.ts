import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
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

const SEAL_KEY_INFO = 'sessionwire refresh successor v1';

/** The session a sealed value belongs to. */
export interface SealedFor {
  userId: UserId;
  sessionId: SessionId;
}

/**
 * Encrypts `secret` so that only a holder of `key` (another secret, never its stored hash) can read it, and only
 * for `session`: AES-256-GCM under a key derived from `key` with HKDF-SHA256, with `<userId>.<sessionId>` as
 * additional data. Lets the refresh token just rotated away recover its successor during the reuse grace
 * window, while a Redis dump alone reveals nothing and a sealed value copied to another session's key opens
 * nothing there.
 */
export function sealSecret(secret: string, key: string, session: SealedFor): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(key), iv);
  cipher.setAAD(sessionBinding(session));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url')).join('.');
}

/** The secret `sealSecret` sealed under `key` for `session`; throws if the key or session is another one or the value was altered. */
export function openSealedSecret(sealed: string, key: string, session: SealedFor): string {
  const [iv, ciphertext, tag] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(key), iv, { authTagLength: 16 });
  decipher.setAAD(sessionBinding(session));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}

function sealingKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'base64url'), Buffer.alloc(0), SEAL_KEY_INFO, 32));
}

function sessionBinding({ userId, sessionId }: SealedFor): Buffer {
  return Buffer.from(`${userId}.${sessionId}`, 'utf8');
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
