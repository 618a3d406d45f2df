import { Injectable } from '@nestjs/common';
import { SessionStore, type SessionRecord } from '@app/sessions';
import { AuthenticationFailure } from './authentication-failure';
import type { Credential } from './credential';
import type { Principal } from './principal';

/** Proves a credential's session for an HTTP request: one Redis round trip that checks it and slides its idle timeout. */
@Injectable()
export class SessionProof {
  constructor(private readonly sessions: SessionStore) {}

  async principal(credential: Credential): Promise<Principal> {
    const session = await this.sessions.touch(credential.userId, credential.sessionId, credential.cookieHash);
    if (!session) throw sessionEnded(credential);
    return principalOf(credential, session);
  }
}

/** The principal a credential stands for once its session is proven alive (`session`, as loaded by that proof). */
export function principalOf(credential: Credential, session: SessionRecord): Principal {
  return {
    userId: session.userId,
    sessionId: session.sessionId,
    roles: session.roles,
    credential: credential.kind,
    session,
    credentialExpiresAt: credential.expiresAt ?? session.expiresAt,
  };
}

/** The refusal of a credential whose session is gone (or, for a cookie, holds another cookie now). */
export function sessionEnded(credential: Credential): AuthenticationFailure {
  return new AuthenticationFailure('SESSION_REVOKED', `The session of this ${credential.kind === 'access_token' ? 'token' : 'cookie'} has ended`);
}
