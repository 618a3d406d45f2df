import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { hashSecret, parseSessionCookie } from '@app/sessions';
import { parse as parseCookieHeader } from 'cookie';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport-custom';
import { AUTHENTICATION_OPTIONS, type AuthenticationOptions } from './authentication-options';
import { AuthenticationFailure } from './authentication-failure';
import type { Credential } from './credential';

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
    if (request.headers.authorization) return null;
    const value = parseCookieHeader(request.headers.cookie ?? '')[this.options.cookieName];
    if (!value) return null;
    const holder = parseSessionCookie(value);
    if (!holder) throw new AuthenticationFailure('UNAUTHORIZED', 'Malformed session cookie');
    return { kind: 'session_cookie', userId: holder.userId, sessionId: holder.sessionId, expiresAt: null, cookieHash: hashSecret(holder.secret) };
  }
}
