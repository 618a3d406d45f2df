import { Controller, Get, Global, Header, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AccessTokenIssuer, SigningKeyRing } from '@app/tokens';
import { authConfig, type AuthConfig } from '../config/auth.config';

@Controller('.well-known')
class JwksController {
  constructor(private readonly keys: SigningKeyRing) {}

  /** Public keys for verifying access tokens: the signing key, and the next and previous ones while a rotation runs. */
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.keys.toJwks();
  }
}

/** SIGHUP reads the key files again: each step of a key rotation (README, "Rotating the signing key") is one. */
@Injectable()
class SigningKeyReload implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Keys');
  private readonly onSignal = () => void this.reload();

  constructor(private readonly keys: SigningKeyRing) {}

  onApplicationBootstrap(): void {
    this.describe('Signing keys loaded');
    process.on('SIGHUP', this.onSignal);
  }

  onApplicationShutdown(): void {
    process.off('SIGHUP', this.onSignal);
  }

  private async reload(): Promise<void> {
    try {
      await this.keys.reload();
      this.describe('Signing keys reloaded');
    } catch (error) {
      this.logger.error(`Signing keys not reloaded, the previous ones stay in use: ${(error as Error).message}`);
    }
  }

  private describe(what: string): void {
    const signing = this.keys.signingKey().kid;
    this.logger.log(`${what}: signing with kid ${signing}; publishing ${this.keys.publishedKids().join(', ')}`);
  }
}

/** The signing key (private: only here) and the keys published beside it, the JWKS, and the token issuer. */
@Global()
@Module({
  controllers: [JwksController],
  providers: [
    {
      provide: SigningKeyRing,
      inject: [authConfig.KEY],
      useFactory: async (config: AuthConfig): Promise<SigningKeyRing> => {
        const { ring, generatedAt } = await SigningKeyRing.load(config.signingKeys);
        if (generatedAt) {
          new Logger('Keys').warn(`Generated a development signing key at ${generatedAt}; set SIGNING_KEY_FILE in production`);
        }
        return ring;
      },
    },
    SigningKeyReload,
    {
      provide: AccessTokenIssuer,
      inject: [SigningKeyRing, authConfig.KEY],
      useFactory: (keys: SigningKeyRing, config: AuthConfig) =>
        new AccessTokenIssuer(keys, {
          issuer: config.accessTokens.issuer,
          audience: config.accessTokens.audience,
          ttlSeconds: config.accessTokenTtlSeconds,
        }),
    },
  ],
  exports: [SigningKeyRing, AccessTokenIssuer],
})
export class KeysModule {}
