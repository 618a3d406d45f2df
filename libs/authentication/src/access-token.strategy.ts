import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { AUTHENTICATION_OPTIONS, type AuthenticationOptions } from './authentication-options';
import { failingAsAuthenticationFailure } from './authentication-failure';
import type { Credential } from './credential';
import { accessTokenCredential, accessTokenStrategyOptions } from './credential-verification';

export const ACCESS_TOKEN_STRATEGY = 'access-token';

/** The one access-token strategy: signature, `alg`, `kid`, `typ`, `iss`, `aud`, `exp`, `nbf` by passport-jwt, then the claims' shape. */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, ACCESS_TOKEN_STRATEGY) {
  constructor(@Inject(AUTHENTICATION_OPTIONS) options: AuthenticationOptions) {
    super(accessTokenStrategyOptions(options.accessTokens, options.verificationKeys));
  }

  validate(payload: unknown): Credential {
    return failingAsAuthenticationFailure(() => accessTokenCredential(payload));
  }
}
