import type { IncomingHttpHeaders } from 'node:http';
import passport from 'passport';
import { ACCESS_TOKEN_STRATEGY } from './access-token.strategy';
import { toAuthenticationFailure } from './authentication-failure';
import type { Principal } from './principal';
import { SESSION_COOKIE_STRATEGY } from './session-cookie.strategy';

/**
 * Runs the same two passport strategies the HTTP guard uses on something that is not an Express request
 * (a Socket.IO handshake): only `headers` is read. Rejects with `AuthenticationFailure`, or with the
 * underlying error (e.g. Redis unavailable).
 */
export function authenticateRequest(headers: IncomingHttpHeaders): Promise<Principal> {
  const request = { headers };
  return new Promise((resolve, reject) => {
    const authenticate = passport.authenticate(
      [ACCESS_TOKEN_STRATEGY, SESSION_COOKIE_STRATEGY],
      { session: false },
      (error: unknown, principal: Principal | false, info: unknown) => {
        if (error) reject(error);
        else if (!principal) reject(toAuthenticationFailure(info));
        else resolve(principal);
      },
    ) as (request: unknown, response: unknown, next: (error?: unknown) => void) => void;
    authenticate(request, {}, reject);
  });
}
