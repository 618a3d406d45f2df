import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport-custom';
import { AUTHENTICATION_OPTIONS, type AuthenticationOptions } from './authentication-options';
import { failingAsAuthenticationFailure } from './authentication-failure';
import type { Credential } from './credential';
import { sessionCookieCredential } from './credential-verification';

export const SESSION_COOKIE_STRATEGY = 'session-cookie';

/**
 * The browser credential: the HttpOnly session cookie. Skipped when an Authorization header is present,
 * so a bad bearer token is never rescued by a cookie the client did not mean to use.
 */
@Injectable()
export class SessionCookieStrategy extends PassportStrategy(Strategy, SESSION_COOKIE_STRATEGY) {
  constructor(@Inject(AUTHENTICATION_OPTIONS) private readonly options: AuthenticationOptions) {
    super();
  }

  validate(request: IncomingMessage): Credential | null {
    return failingAsAuthenticationFailure(() => sessionCookieCredential(request.headers, this.options.cookieName));
  }
}
