import { ConfigurableModuleBuilder, Module } from '@nestjs/common';
import { REDIS_CLIENT, type RedisClient } from '@app/redis';
import type { SessionOptions } from './session-options';
import { SessionStore } from './session-store';

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: SESSION_OPTIONS } = new ConfigurableModuleBuilder<SessionOptions>()
  .setClassMethodName('forRoot')
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();

/** The session store, configured once by the app (`SessionsModule.forRootAsync`) and available everywhere. */
@Module({
  providers: [
    {
      provide: SessionStore,
      inject: [REDIS_CLIENT, SESSION_OPTIONS],
      useFactory: (redis: RedisClient, options: SessionOptions) => new SessionStore(redis, options),
    },
  ],
  exports: [SessionStore],
})
export class SessionsModule extends ConfigurableModuleClass {}
