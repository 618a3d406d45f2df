export * from './portable';
export { REDIS_CLIENT, RedisModule, type RedisModuleOptions } from './redis.module';
