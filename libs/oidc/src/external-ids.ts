import { createHash } from 'node:crypto';

/**
 * The ids a principal of an external issuer has inside sessionwire (registry, rooms, Redis keys), derived from what
 * the provider says, so every service computes the same ones from the same (issuer, claim) without sharing state.
 * The issuer is part of every digest: two providers' equal `sub`s or `sid`s are different users and sessions.
 */

/** The longest `sub` or `sid` taken (the `user-logged-out` message's bound on them). */
export const PROVIDER_VALUE_MAX_LENGTH = 1024;

/**
 * Why a provider's `sub` or `sid` cannot name a user or session here, or undefined when it can: a string of 1 to
 * `PROVIDER_VALUE_MAX_LENGTH` characters with no lone surrogate. Digests hash UTF-8, where every lone surrogate
 * becomes U+FFFD: "a\uD800", "a\uDC00" and "a\uFFFD" would be one user. Admission and logout use the same rule, so
 * every session that opens sockets can be ended by a logout token.
 */
export function providerValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > PROVIDER_VALUE_MAX_LENGTH) return `not a string of 1 to ${PROVIDER_VALUE_MAX_LENGTH} characters`;
  if (/\p{Cs}/u.test(value)) return 'holds a lone surrogate (not valid Unicode)';
  return undefined;
}

function digest(issuer: string, kind: string, value: string): Buffer {
  return createHash('sha256').update(`${issuer}\n${kind}\n${value}`).digest();
}

/**
 * The user id of (issuer, subject): a name-based UUIDv8 over SHA-256 (RFC 9562, appendix B.2), so it is a UUID like
 * the auth service's own user ids (UUIDv4) and every schema and key built on user ids takes it unchanged.
 */
export function externalUserId(issuer: string, subject: string): string {
  const bytes = digest(issuer, 'sub', subject).subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whether a user id is one `externalUserId` derived (a UUIDv8), not one of the auth service's users (UUIDv4). */
export function isExternalUserId(userId: string): boolean {
  return userId.length === 36 && userId[14] === '8';
}

/** The session id of a provider session (issuer, sid): 144 bits of SHA-256, base64url, shaped as our own session ids. */
export function externalSessionId(issuer: string, providerSessionId: string): string {
  return digest(issuer, 'sid', providerSessionId).subarray(0, 18).toString('base64url');
}

/**
 * The session id of tokens that carry no session id claim: one per (issuer, subject), so such sockets end only with
 * every session of their user (a logout token naming `sub`).
 */
export function sessionlessSessionId(issuer: string, subject: string): string {
  return digest(issuer, 'sub-without-sid', subject).subarray(0, 18).toString('base64url');
}
