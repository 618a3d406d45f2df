import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthAppModule } from '../../apps/auth/src/auth-app.module';
import { authConfig, loadAuthConfig, type AuthConfig } from '../../apps/auth/src/config/auth.config';
import { configureAuthApp } from '../../apps/auth/src/configure-auth-app';

export interface AuthApp {
  baseUrl: string;
  config: AuthConfig;
  app: NestExpressApplication;
  close(): Promise<void>;
}

/** Test defaults: cheap argon2 so suites stay fast; everything else as deployed. */
export const TEST_AUTH_ENV = {
  COOKIE_SECURE: 'false',
  LOG_LEVEL: 'silent',
  ARGON2_MEMORY_KIB: '8192',
  ARGON2_TIME_COST: '1',
  ADMIN_USERNAME: 'admin',
  ADMIN_PASSWORD: 'admin-password-for-tests',
} as const;

/** The auth app in-process (real HTTP on a free port, real Redis), configured exactly as main.ts does. */
export async function startAuthApp(redisUrl: string, env: Record<string, string> = {}): Promise<AuthApp> {
  const keysDir = await mkdtemp(join(tmpdir(), 'sessionwire-keys-'));
  const config = loadAuthConfig({
    ...TEST_AUTH_ENV,
    REDIS_URL: redisUrl,
    DEV_SIGNING_KEY_FILE: join(keysDir, 'signing-key.pem'),
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AuthAppModule] })
    .overrideProvider(authConfig.KEY)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, bufferLogs: true });
  configureAuthApp(app, config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    config,
    app,
    close: async () => {
      await app.close();
      await rm(keysDir, { recursive: true, force: true });
    },
  };
}
