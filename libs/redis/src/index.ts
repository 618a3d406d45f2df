export { isRedisUnavailableError, RedisUnreachableError } from './redis-errors';
export { connectRedis, REDIS_CLIENT, redisAddress, redisConnectionOptions, RedisModule, type RedisModuleOptions } from './redis.module';
export { defineRedisScript } from './redis-script';
