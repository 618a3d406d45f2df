// Everything of @app/redis that needs no Nest: the packages under libs/ bundle this file (their tsconfig.build.json
// maps @app/redis here), so a package never pulls in @nestjs/* or prom-client.
export { ChannelSubscription, type ChannelParseResult, type ChannelSubscriptionOptions } from './channel-subscription';
export { execBatch, type BatchCommand } from './redis-batch';
export { ClusterChannelOwnerUnknownError } from './cluster-channel-connector';
export {
  channelSubscriberFor,
  createChannelSubscriber,
  createRedisClient,
  describeClient,
  describeRedis,
  isCluster,
  reconnectBackoff,
  redisAddress,
  type RedisClient,
  type RedisClientOptions,
} from './redis-client';
export { closeRedis, connectRedis } from './redis-connection';
export { isRedisUnavailableError, RedisUnreachableError } from './redis-errors';
export { probeRedis } from './redis-probe';
export { defineRedisScript } from './redis-script';
