import { ConfigurableModuleBuilder, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { RedisConfig } from '@app/config';
import { Counter, Registry } from 'prom-client';
import { createRedisClient, type RedisClient } from './redis-client';
import { closeRedis, connectRedis } from './redis-connection';

/** Injection token of the shared command connection (never used for SUBSCRIBE): a `RedisClient`. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

export interface RedisModuleOptions extends RedisConfig {
  /** Shown in `CLIENT LIST`, e.g. `auth` or `gateway:node-1`. */
  connectionName: string;
  /**
   * How long boot waits for the first connection before failing with a message.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * Batch the commands issued while earlier ones are in flight into one write (ioredis auto-pipelining).
   * Fewer writes and wake-ups of Redis under concurrent load, at the cost of deferring each command to the
   * next event-loop turn. Explicit pipelines are sent at once, so an auto-pipelined command issued before a
   * pipeline without awaiting it may reach Redis after it: await what must come first.
   * @default false
   */
  enableAutoPipelining?: boolean;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<RedisModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();

@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [MODULE_OPTIONS_TOKEN, Registry],
      useFactory: async (options: RedisModuleOptions, registry: Registry) => {
        const logger = new Logger('Redis');
        const errors = new Counter({
          name: 'sessionwire_redis_errors_total',
          help: 'Redis connection errors seen by the command connection',
          registers: [registry],
        });
        const client = createRedisClient(options, { connectionName: options.connectionName, enableAutoPipelining: options.enableAutoPipelining });
        await connectRedis(client, options, options.connectTimeoutMs ?? 10_000);
        client.on('error', (error: Error) => {
          errors.inc();
          logger.warn(`Redis connection error: ${error.message}`);
        });
        client.on('ready', () => logger.log('Redis connection ready'));
        return client;
      },
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: RedisClient) {
    super();
  }

  onApplicationShutdown(): Promise<void> {
    return closeRedis(this.client);
  }
}
