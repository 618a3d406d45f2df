import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { HttpRequestMetrics } from '@app/observability';
import { SessionwireIoAdapter } from '@sessionwire/nest';
import { Logger } from 'nestjs-pino';
import { gatewayConfig, type GatewayConfig } from './config/gateway.config';
import { GatewayAppModule } from './gateway-app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayAppModule, { bufferLogs: true, abortOnError: false });
  const config = app.get<GatewayConfig>(gatewayConfig.KEY);
  app.use(app.get(HttpRequestMetrics).middleware());
  app.useLogger(app.get(Logger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  app.useWebSocketAdapter(
    new SessionwireIoAdapter(app, {
      serverOptions: {
        serveClient: false,
        maxHttpBufferSize: config.maxMessageBytes,
        pingInterval: config.ping.intervalMs,
        pingTimeout: config.ping.timeoutMs,
      },
    }),
  );
  await app.listen(config.http.port, config.http.host);
  app.get(Logger).log(`gateway ${config.nodeId} listening on http://${config.http.host}:${config.http.port}`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
