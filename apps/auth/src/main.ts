import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AuthAppModule } from './auth-app.module';
import { configureAuthApp } from './configure-auth-app';
import { authConfig, type AuthConfig } from './config/auth.config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AuthAppModule, { bufferLogs: true, abortOnError: false, bodyParser: false });
  const config = app.get<AuthConfig>(authConfig.KEY);
  configureAuthApp(app, config);
  await app.listen(config.http.port, config.http.host);
  app.get(Logger).log(`auth listening on http://${config.http.host}:${config.http.port}`);
}

bootstrap().catch((error: unknown) => {
  // Boot failures (bad config, Redis unreachable, bad key) end the process with the reason and no stack.
  process.stderr.write(`auth failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
