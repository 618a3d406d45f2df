import { createParamDecorator, ForbiddenException, Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import {
  ACCESS_TOKEN_STRATEGY,
  SESSION_COOKIE_STRATEGY,
  SessionProof,
  toAuthenticationFailure,
  type AuthenticatedRequest,
  type Credential,
  type Principal,
} from '@app/authentication';
import type { Request } from 'express';
import { authConfig, type AuthConfig } from '../config/auth.config';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type CredentialRequest = Request & { user: Credential };

/**
 * Verifies the bearer access token or the session cookie without asking Redis (`request.user` is the
 * `Credential`), for routes whose own Redis script proves the session (logout). A cookie-authenticated request
 * that changes state must show that it comes from an allowed page (CSRF defence on top of SameSite=Lax).
 */
@Injectable()
export class CredentialGuard extends AuthGuard([ACCESS_TOKEN_STRATEGY, SESSION_COOKIE_STRATEGY]) {
  constructor(@Inject(authConfig.KEY) private readonly config: AuthConfig) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<CredentialRequest>();
    if (request.user.kind === 'session_cookie' && !SAFE_METHODS.has(request.method)) this.requireOwnPage(request);
    return true;
  }

  /**
   * An allowed `Origin`, or without one the browser's own word that the request comes from this origin
   * (`Sec-Fetch-Site: same-origin`; page scripts cannot set `Sec-` headers). `same-site` is refused: another
   * origin of the same site still gets the Lax cookie. `none` (a user-initiated navigation) never is a page's
   * cookie POST or DELETE, so it is refused too.
   */
  private requireOwnPage(request: Request): void {
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (this.config.allowedOrigins.includes(origin)) return;
      throw new ForbiddenException({ message: `Origin ${origin} is not allowed to use the session cookie`, code: 'ORIGIN_NOT_ALLOWED' });
    }
    if (request.headers['sec-fetch-site'] === 'same-origin') return;
    throw new ForbiddenException({
      message: 'A state change with the session cookie needs an allowed Origin (or Sec-Fetch-Site: same-origin)',
      code: 'ORIGIN_NOT_ALLOWED',
    });
  }

  override handleRequest<TUser = Credential>(error: unknown, credential: TUser | false, info: unknown): TUser {
    if (error) throw error;
    if (!credential) throw toAuthenticationFailure(info);
    return credential;
  }
}

/** `CredentialGuard`, then the session proven alive (one Redis round trip): `request.user` is the `Principal`. */
@Injectable()
export class SessionAuthGuard extends CredentialGuard {
  constructor(@Inject(authConfig.KEY) config: AuthConfig, private readonly proof: SessionProof) {
    super(config);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<Request & { user: Credential | Principal }>();
    request.user = await this.proof.principal(request.user as Credential);
    return true;
  }
}

/** Lets only admins through; use after `SessionAuthGuard`. */
@Injectable()
export class AdminGuard {
  canActivate(context: ExecutionContext): boolean {
    const { user } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!user.roles.includes('admin')) throw new ForbiddenException('Admin role required');
    return true;
  }
}

export const CurrentCredential = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Credential => context.switchToHttp().getRequest<CredentialRequest>().user,
);

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<AuthenticatedRequest>().user,
);
