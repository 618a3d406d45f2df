import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { AccessTokenVerificationConfig } from '@app/config';
import type { KeyResolver } from '@app/tokens';

export interface AuthenticationOptions {
  accessTokens: AccessTokenVerificationConfig;
  /** The keys access tokens may be signed with: the auth service's own, or the gateway's copy of its JWKS. */
  verificationKeys: KeyResolver;
  cookieName: string;
}

export const {
  ConfigurableModuleClass: ConfigurableAuthenticationModule,
  MODULE_OPTIONS_TOKEN: AUTHENTICATION_OPTIONS,
} = new ConfigurableModuleBuilder<AuthenticationOptions>()
  .setClassMethodName('forRoot')
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();
