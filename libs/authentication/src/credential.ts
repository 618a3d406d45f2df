import type { SessionId, UserId } from '@app/contracts';

/**
 * A credential whose signature (access token) or format (session cookie) was checked: who it claims to be,
 * before Redis was asked whether that session is still alive. Every use proves the session in its own
 * Redis script (`SessionProof` for HTTP requests, the socket admission at a gateway handshake, the logout's
 * session-end script), so the proof and the use are one atomic step.
 */
export interface OwnCredential {
  kind: 'access_token' | 'session_cookie';
  userId: UserId;
  sessionId: SessionId;
  /** Epoch ms at which an access token expires; `null` for the cookie, which lives as long as its session. */
  expiresAt: number | null;
  /** SHA-256 of the cookie's secret, which the session record must hold; `null` for an access token. */
  cookieHash: string | null;
}

/**
 * An access token of an external OpenID Provider (a trusted issuer), verified. There is no session record: the
 * session is alive unless Redis records its end (`redisKeys.externalSessionEnded`, `externalUserEndedBefore`).
 */
export interface ExternalCredential {
  kind: 'external_token';
  /** `externalUserId(issuer, sub)`: per `sub`, the claim logout tokens name users by, even when `subject` is another claim. */
  userId: UserId;
  /** `externalSessionId(issuer, providerSessionId)`, or `sessionlessSessionId(issuer, sub)` without one. */
  sessionId: SessionId;
  /** Epoch ms: the token's `exp`. */
  expiresAt: number;
  cookieHash: null;
  /** The provider's `iss`. */
  issuer: string;
  /** The provider's user id (the issuer's user id claim, `sub` by default). */
  subject: string;
  /** The provider's session id (its session id claim, `sid` by default); `null` when the token carries none. */
  providerSessionId: string | null;
  /** Epoch ms at which the provider session started: `auth_time`, else `iat`. */
  sessionStartedAt: number;
  /** From the issuer's roles claim path; none when it is not configured or holds no string(s). */
  roles: string[];
}

export type Credential = OwnCredential | ExternalCredential;
