import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { accessTokenClaimsSchema, accessTokenVerifyOptions, keyProviderFor } from '@app/tokens';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AUTHENTICATION_OPTIONS, type AuthenticationOptions } from './authentication-options';
import { AuthenticationFailure } from './authentication-failure';
import type { Credential } from './credential';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

/** The one access-token strategy: signature, `alg`, `kid`, `typ`, `iss`, `aud`, `exp`, `nbf` by passport-jwt, then the claims' shape. */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, ACCESS_TOKEN_STRATEGY) {
  constructor(@Inject(AUTHENTICATION_OPTIONS) options: AuthenticationOptions) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: keyProviderFor(options.verificationKeys),
      ...accessTokenVerifyOptions(options.accessTokens),
    });
  }

  validate(payload: unknown): Credential {
    const claims = accessTokenClaimsSchema.safeParse(payload);
    if (!claims.success) throw new AuthenticationFailure('UNAUTHORIZED', 'Access token rejected: claims do not match the contract');
    return { kind: 'access_token', userId: claims.data.sub, sessionId: claims.data.sid, expiresAt: claims.data.exp * 1000, cookieHash: null };
  }
}
