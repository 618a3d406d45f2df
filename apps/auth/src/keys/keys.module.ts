import { Controller, Get, Global, Header, Logger, Module } from '@nestjs/common';
import { AccessTokenIssuer, loadSigningKey, VerificationKeys, type SigningKey } from '@app/tokens';
import { authConfig, type AuthConfig } from '../config/auth.config';

@Controller('.well-known')
class JwksController {
  constructor(private readonly keys: VerificationKeys) {}

  /** Public keys for verifying access tokens; gateways and other services fetch them from here. */
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.keys.toJwks();
  }
}

const SIGNING_KEY = Symbol('SIGNING_KEY');

/** The signing key (private: only here), the public keys derived from it, and the token issuer. */
@Global()
@Module({
  controllers: [JwksController],
  providers: [
    {
      provide: SIGNING_KEY,
      inject: [authConfig.KEY],
      useFactory: async (config: AuthConfig): Promise<SigningKey> => {
        const { key, generatedAt } = await loadSigningKey(config.signingKey);
        if (generatedAt) {
          new Logger('Keys').warn(`Generated a development signing key at ${generatedAt}; set SIGNING_KEY_FILE in production`);
        }
        return key;
      },
    },
    {
      provide: VerificationKeys,
      inject: [SIGNING_KEY],
      useFactory: (key: SigningKey) => VerificationKeys.fromKeyObjects([key]),
    },
    {
      provide: AccessTokenIssuer,
      inject: [SIGNING_KEY, authConfig.KEY],
      useFactory: (key: SigningKey, config: AuthConfig) =>
        new AccessTokenIssuer(key, {
          issuer: config.accessTokens.issuer,
          audience: config.accessTokens.audience,
          ttlSeconds: config.accessTokenTtlSeconds,
        }),
    },
  ],
  exports: [VerificationKeys, AccessTokenIssuer],
})
export class KeysModule {}
