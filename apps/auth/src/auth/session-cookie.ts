import { Inject, Injectable } from '@nestjs/common';
import { formatSessionCookie, type SessionSecretHolder } from '@app/sessions';
import type { CookieOptions, Response } from 'express';
import { authConfig, type AuthConfig } from '../config/auth.config';

/**
 * Writes the browser session cookie: HttpOnly (no script can read it), SameSite=Lax, Path=/, and Secure
 * with the `__Host-` prefix unless COOKIE_SECURE=false (plain-http development only).
 */
@Injectable()
export class SessionCookie {
  constructor(@Inject(authConfig.KEY) private readonly config: AuthConfig) {}

  set(response: Response, holder: SessionSecretHolder, expiresAt: number): void {
    response.cookie(this.config.cookie.name, formatSessionCookie(holder), { ...this.attributes(), expires: new Date(expiresAt) });
  }

  clear(response: Response): void {
    response.clearCookie(this.config.cookie.name, this.attributes());
  }

  private attributes(): CookieOptions {
    return { httpOnly: true, secure: this.config.cookie.secure, sameSite: 'lax', path: '/' };
  }
}
