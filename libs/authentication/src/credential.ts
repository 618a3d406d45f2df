import type { SessionId, UserId } from '@app/contracts';

/**
 * A credential whose signature (access token) or format (session cookie) was checked: who it claims to be,
 * before Redis was asked whether that session is still alive. Every use proves the session in its own
 * Redis script (`SessionProof` for HTTP requests, the socket admission at a gateway handshake, the logout's
 * session-end script), so the proof and the use are one atomic step.
 */
export interface Credential {
  kind: 'access_token' | 'session_cookie';
  userId: UserId;
  sessionId: SessionId;
  /** Epoch ms at which an access token expires; `null` for the cookie, which lives as long as its session. */
  expiresAt: number | null;
  /** SHA-256 of the cookie's secret, which the session record must hold; `null` for an access token. */
  cookieHash: string | null;
}
