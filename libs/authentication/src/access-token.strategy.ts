import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { SessionStore } from '@app/sessions';
import { accessTokenClaimsSchema, accessTokenVerifyOptions, keyProviderFor } from '@app/tokens';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AUTHENTICATION_OPTIONS, type AuthenticationOptions } from './authentication-options';
import { AuthenticationFailure } from './authentication-failure';
import type { Principal } from './principal';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

/**
 * The one access-token strategy: signature, `alg`, `kid`, `typ`, `iss`, `aud`, `exp`, `nbf` by passport-jwt,
 * then one Redis round trip to prove the session the token names is still alive.
 */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, ACCESS_TOKEN_STRATEGY) {
  constructor(
    @Inject(AUTHENTICATION_OPTIONS) options: AuthenticationOptions,
    private readonly sessions: SessionStore,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: keyProviderFor(options.verificationKeys),
      ...accessTokenVerifyOptions(options.accessTokens),
    });
  }

  async validate(payload: unknown): Promise<Principal> {
    const claims = accessTokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw new AuthenticationFailure('UNAUTHORIZED', 'Access token rejected: claims do not match the contract');
    const session = await this.sessions.touch(claims.data.sub, claims.data.sid);
    if (!session) throw new AuthenticationFailure('SESSION_REVOKED', 'The session of this token has ended');
    return {
      userId: session.userId,
      sessionId: session.sessionId,
      roles: session.roles,
      credential: 'access_token',
      session,
      credentialExpiresAt: claims.data.exp * 1000,
    };
  }
}
