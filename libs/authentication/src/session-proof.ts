import { Injectable } from '@nestjs/common';
import { SessionStore } from '@app/sessions';
import { AuthenticationFailure } from './authentication-failure';
import type { Credential } from './credential';
import { principalOf, sessionEndedRefusal } from './credential-verification';
import type { Principal } from './principal';

/** Proves a credential's session for an HTTP request: one Redis round trip that checks it and slides its idle timeout. */
@Injectable()
export class SessionProof {
  constructor(private readonly sessions: SessionStore) {}

  async principal(credential: Credential): Promise<Principal> {
    // The auth service's strategies verify only its own credentials; an external provider's session has no record here.
    if (credential.kind === 'external_token') throw sessionEnded(credential);
    const session = await this.sessions.touch(credential.userId, credential.sessionId, credential.cookieHash);
    if (!session) throw sessionEnded(credential);
    return principalOf(credential, session);
  }
}

/** The refusal of a credential whose session is gone (or, for a cookie, holds another cookie now). */
export function sessionEnded(credential: Credential): AuthenticationFailure {
  return AuthenticationFailure.of(sessionEndedRefusal(credential));
}
