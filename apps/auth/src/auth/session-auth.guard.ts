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
 * that changes state must come from an allowed Origin (CSRF defence on top of SameSite=Lax).
 */
@Injectable()
export class CredentialGuard extends AuthGuard([ACCESS_TOKEN_STRATEGY, SESSION_COOKIE_STRATEGY]) {
  constructor(@Inject(authConfig.KEY) private readonly config: AuthConfig) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<CredentialRequest>();
    const origin = request.headers.origin;
    if (request.user.kind === 'session_cookie' && !SAFE_METHODS.has(request.method) && origin !== undefined) {
      if (!this.config.allowedOrigins.includes(origin)) {
        throw new ForbiddenException({ message: `Origin ${origin} is not allowed to use the session cookie`, code: 'ORIGIN_NOT_ALLOWED' });
      }
    }
    return true;
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
