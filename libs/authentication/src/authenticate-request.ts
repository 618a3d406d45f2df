import type { IncomingHttpHeaders } from 'node:http';
import passport from 'passport';
import { ACCESS_TOKEN_STRATEGY } from './access-token.strategy';
import { toAuthenticationFailure } from './authentication-failure';
import type { Credential } from './credential';
import { SESSION_COOKIE_STRATEGY } from './session-cookie.strategy';

/**
 * Runs the same two passport strategies the HTTP guard uses on something that is not an Express request
 * (a Socket.IO handshake): only `headers` is read. The session is not proven yet: the caller does that in
 * its own Redis script. Rejects with `AuthenticationFailure`.
 */
export function authenticateRequest(headers: IncomingHttpHeaders): Promise<Credential> {
  const request = { headers };
  return new Promise((resolve, reject) => {
    const authenticate = passport.authenticate(
      [ACCESS_TOKEN_STRATEGY, SESSION_COOKIE_STRATEGY],
      { session: false },
      (error: unknown, credential: Credential | false, info: unknown) => {
        if (error) reject(error);
        else if (!credential) reject(toAuthenticationFailure(info));
        else resolve(credential);
      },
    ) as (request: unknown, response: unknown, next: (error?: unknown) => void) => void;
    authenticate(request, {}, reject);
  });
}
