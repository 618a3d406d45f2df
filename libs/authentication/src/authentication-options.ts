import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { AccessTokenVerificationConfig } from '@app/config';
import type { VerificationKeys } from '@app/tokens';

export interface AuthenticationOptions {
  accessTokens: AccessTokenVerificationConfig;
  /** The keys access tokens may be signed with: the auth service's own, or the gateway's copy of its JWKS. */
  verificationKeys: VerificationKeys;
  cookieName: string;
}

export const {
  ConfigurableModuleClass: ConfigurableAuthenticationModule,
  MODULE_OPTIONS_TOKEN: AUTHENTICATION_OPTIONS,
} = new ConfigurableModuleBuilder<AuthenticationOptions>().setClassMethodName('forRoot').build();
