import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { AuthenticationModule } from '@app/authentication';
import { ApiExceptionFilter } from '@app/http';
import { loggerParams, MetricsModule } from '@app/observability';
import { RedisModule } from '@app/redis';
import { SessionsModule } from '@app/sessions';
import { SigningKeyRing } from '@app/tokens';
import { LoggerModule } from 'nestjs-pino';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { authConfig, type AuthConfig } from './config/auth.config';
import { HealthModule } from './health/health.module';
import { KeysModule } from './keys/keys.module';
import { AuthMetricsModule } from './metrics/auth-metrics.module';
import { OidcModule } from './oidc/oidc.module';
import { OpenApiModule } from './openapi/openapi.module';
import { UserSessionsModule } from './sessions/user-sessions.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [authConfig] }),
    LoggerModule.forRootAsync({
      inject: [authConfig.KEY],
      useFactory: (config: AuthConfig) => loggerParams({ service: 'auth', level: config.logLevel }),
    }),
    MetricsModule,
    AuthMetricsModule,
    RedisModule.forRootAsync({
      inject: [authConfig.KEY],
      useFactory: (config: AuthConfig) => ({ ...config.redis, connectionName: 'auth' }),
    }),
    SessionsModule.forRootAsync({ inject: [authConfig.KEY], useFactory: (config: AuthConfig) => config.sessions }),
    KeysModule,
    AuthenticationModule.forRootAsync({
      inject: [authConfig.KEY, SigningKeyRing],
      useFactory: (config: AuthConfig, verificationKeys: SigningKeyRing) => ({
        accessTokens: config.accessTokens,
        verificationKeys,
        cookieName: config.cookie.name,
      }),
    }),
    AuthModule,
    UserSessionsModule,
    AdminModule,
    OidcModule,
    HealthModule,
    OpenApiModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
})
export class AuthAppModule {}
