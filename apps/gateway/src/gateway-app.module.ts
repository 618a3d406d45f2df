import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { ApiExceptionFilter } from '@app/http';
import { loggerParams, MetricsModule } from '@app/observability';
import { REDIS_CLIENT, RedisModule, type RedisClient } from '@app/redis';
import { SessionsModule } from '@app/sessions';
import { SessionwireModule } from '@sessionwire/nest';
import { LoggerModule } from 'nestjs-pino';
import { Registry } from 'prom-client';
import { gatewayConfig, type GatewayConfig } from './config/gateway.config';
import { HealthModule } from './health/health.module';
import { NodeReportModule } from './node-report/node-report.module';
import { RealtimeModule } from './realtime/realtime.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [gatewayConfig] }),
    LoggerModule.forRootAsync({
      inject: [gatewayConfig.KEY],
      useFactory: (config: GatewayConfig) => loggerParams({ service: 'gateway', level: config.logLevel, base: { nodeId: config.nodeId } }),
    }),
    MetricsModule,
    RedisModule.forRootAsync({
      inject: [gatewayConfig.KEY],
      // Every handshake makes several round trips on this connection; under load they share writes.
      useFactory: (config: GatewayConfig) => ({ ...config.redis, connectionName: `gateway:${config.nodeId}`, enableAutoPipelining: true }),
    }),
    SessionsModule.forRootAsync({ inject: [gatewayConfig.KEY], useFactory: (config: GatewayConfig) => config.sessions }),
    // The session layer shares the command connection (any topology, made by RedisModule) and the metrics registry.
    SessionwireModule.forRootAsync({
      inject: [gatewayConfig.KEY, REDIS_CLIENT, Registry],
      useFactory: (config: GatewayConfig, redis: RedisClient, registry: Registry) => ({ ...config.sessionwire, redis, metrics: { registry } }),
    }),
    RealtimeModule,
    HealthModule,
    NodeReportModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
})
export class GatewayAppModule {}
