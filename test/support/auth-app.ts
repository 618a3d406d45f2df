import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loggerParams } from '@app/observability';
import { PARAMS_PROVIDER_TOKEN } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
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

export interface AuthAppOptions {
  /** Receives the app's log lines instead of stdout; choose how many with `LOG_LEVEL` in `env`. */
  logDestination?: DestinationStream;
}

/**
 * The auth app in-process (real HTTP on a free port, real Redis), configured exactly as main.ts does.
 *
 * Start at most one app per test file if its guarded routes are used: @nestjs/passport registers the
 * strategies on the process-wide `passport` object, so the app constructed last authenticates for all of
 * them (its keys, cookie name and Redis). Jest gives each test file its own module registry, hence its own
 * `passport`.
 */
export async function startAuthApp(redisUrl: string, env: Record<string, string> = {}, options: AuthAppOptions = {}): Promise<AuthApp> {
  const keysDir = await mkdtemp(join(tmpdir(), 'sessionwire-keys-'));
  const config = loadAuthConfig({
    ...TEST_AUTH_ENV,
    REDIS_URL: redisUrl,
    DEV_SIGNING_KEY_FILE: join(keysDir, 'signing-key.pem'),
    ...env,
  });
  const builder = Test.createTestingModule({ imports: [AuthAppModule] }).overrideProvider(authConfig.KEY).useValue(config);
  if (options.logDestination) {
    // The app's own logging options (redaction included), only written somewhere the test can read.
    const params = loggerParams({ service: 'auth', level: config.logLevel });
    builder.overrideProvider(PARAMS_PROVIDER_TOKEN).useValue({ ...params, pinoHttp: [params.pinoHttp as PinoHttpOptions, options.logDestination] });
  }
  const moduleRef = await builder.compile();
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
