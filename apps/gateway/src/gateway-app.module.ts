import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { AuthenticationModule } from '@app/authentication';
import { ApiExceptionFilter } from '@app/http';
import { loggerParams, MetricsModule } from '@app/observability';
import { RedisModule } from '@app/redis';
import { SessionsModule } from '@app/sessions';
import { LoggerModule } from 'nestjs-pino';
import { gatewayConfig, type GatewayConfig } from './config/gateway.config';
import { HealthModule } from './health/health.module';
import { JwksKeyResolver } from './keys/jwks-key-resolver';
import { KeysModule } from './keys/keys.module';
import { GatewayMetricsModule } from './metrics/gateway-metrics.module';
import { RealtimeModule } from './realtime/realtime.module';
import { RevocationModule } from './revocation/revocation.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [gatewayConfig] }),
    LoggerModule.forRootAsync({
      inject: [gatewayConfig.KEY],
      useFactory: (config: GatewayConfig) => loggerParams({ service: 'gateway', level: config.logLevel, base: { nodeId: config.nodeId } }),
    }),
    MetricsModule,
    GatewayMetricsModule,
    RedisModule.forRootAsync({
      inject: [gatewayConfig.KEY],
      // Every handshake makes several round trips on this connection; under load they share writes.
      useFactory: (config: GatewayConfig) => ({ ...config.redis, connectionName: `gateway:${config.nodeId}`, enableAutoPipelining: true }),
    }),
    SessionsModule.forRootAsync({ inject: [gatewayConfig.KEY], useFactory: (config: GatewayConfig) => config.sessions }),
    KeysModule,
    AuthenticationModule.forRootAsync({
      inject: [gatewayConfig.KEY, JwksKeyResolver],
      useFactory: (config: GatewayConfig, verificationKeys: JwksKeyResolver) => ({
        accessTokens: config.accessTokens,
        verificationKeys,
        cookieName: config.cookie.name,
      }),
    }),
    RealtimeModule,
    RevocationModule,
    HealthModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
})
export class GatewayAppModule {}
