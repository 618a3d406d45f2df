import type { NestExpressApplication } from '@nestjs/platform-express';
import { HttpRequestMetrics } from '@app/observability';
import { Logger } from 'nestjs-pino';
import type { AuthConfig } from './config/auth.config';

/** Settings main.ts and the tests share, so the tested app is the deployed app. */
export function configureAuthApp(app: NestExpressApplication, config: AuthConfig): void {
  app.use(app.get(HttpRequestMetrics).middleware());
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.useBodyParser('json', { limit: config.http.bodyLimit });
  // Not SIGHUP (Nest's default list has it): SIGHUP makes the auth service read its signing key files again.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
}
