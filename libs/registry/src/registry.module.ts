import { Module } from '@nestjs/common';
import { REDIS_CLIENT, type RedisClient } from '@app/redis';
import { ConnectionRegistry } from './connection-registry';

@Module({
  providers: [{ provide: ConnectionRegistry, inject: [REDIS_CLIENT], useFactory: (redis: RedisClient) => new ConnectionRegistry(redis) }],
  exports: [ConnectionRegistry],
})
export class RegistryModule {}
