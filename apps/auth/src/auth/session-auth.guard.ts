import { createParamDecorator, ForbiddenException, Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import {
  ACCESS_TOKEN_STRATEGY,
  SESSION_COOKIE_STRATEGY,
  toAuthenticationFailure,
  type AuthenticatedRequest,
  type Principal,
} from '@app/authentication';
import { authConfig, type AuthConfig } from '../config/auth.config';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authenticates with the bearer access token or the session cookie. A cookie-authenticated request that
 * changes state must come from an allowed Origin (CSRF defence on top of SameSite=Lax).
 */
@Injectable()
export class SessionAuthGuard extends AuthGuard([ACCESS_TOKEN_STRATEGY, SESSION_COOKIE_STRATEGY]) {
  constructor(@Inject(authConfig.KEY) private readonly config: AuthConfig) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const origin = request.headers.origin;
    if (request.user.credential === 'session_cookie' && !SAFE_METHODS.has(request.method) && origin !== undefined) {
      if (!this.config.allowedOrigins.includes(origin)) {
        throw new ForbiddenException({ message: `Origin ${origin} is not allowed to use the session cookie`, code: 'ORIGIN_NOT_ALLOWED' });
      }
    }
    return true;
  }

  override handleRequest<TUser = Principal>(error: unknown, principal: TUser | false, info: unknown): TUser {
    if (error) throw error;
    if (!principal) throw toAuthenticationFailure(info);
    return principal;
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

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => context.switchToHttp().getRequest<AuthenticatedRequest>().user,
);
