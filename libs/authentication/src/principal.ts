import type { Role, SessionId, UserId } from '@app/contracts';
import type { AdmittedSession, SessionRecord } from '@app/sessions';
import type { Request } from 'express';

/**
 * Who is calling: a credential whose session was proven alive (`SessionProof`; a socket's admission proves it too, and
 * answers only what a socket keeps of the session).
 */
export interface Principal<Session extends AdmittedSession = SessionRecord> {
  userId: UserId;
  sessionId: SessionId;
  roles: Role[];
  credential: 'access_token' | 'session_cookie';
  session: Session;
  /** Epoch ms at which the presented credential stops being valid: the access token's `exp`; for the cookie, the session's absolute expiry. */
  credentialExpiresAt: number;
}

/** A request after a guard authenticated it (passport puts the principal on `user`). */
export type AuthenticatedRequest = Request & { user: Principal };
