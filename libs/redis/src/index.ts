export { execBatch, type BatchCommand } from './redis-batch';
export { ClusterChannelOwnerUnknownError } from './cluster-channel-connector';
export { createChannelSubscriber, createRedisClient, describeRedis, isCluster, redisAddress, type RedisClient, type RedisClientOptions } from './redis-client';
export { isRedisUnavailableError, RedisUnreachableError } from './redis-errors';
export { probeRedis } from './redis-probe';
export { closeRedis, connectRedis, REDIS_CLIENT, RedisModule, type RedisModuleOptions } from './redis.module';
export { defineRedisScript } from './redis-script';
