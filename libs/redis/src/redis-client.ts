import type { RedisConfig } from '@app/config';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { clusterChannelConnector } from './cluster-channel-connector';

/** A command or subscriber connection of any topology; both speak the same commands. */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** Shown in `CLIENT LIST`, e.g. `auth` or `gateway:node-1`. */
  connectionName: string;
  /**
   * Batch the commands issued while earlier ones are in flight into one write (ioredis auto-pipelining).
   * On Cluster it also groups them per node.
   * @default false
   */
  enableAutoPipelining?: boolean;
  /**
   * Queue commands while disconnected and never time them out, instead of failing fast. Only for a client
   * whose caller does not handle rejections (the Socket.IO adapter's publisher).
   * @default false
   */
  queueWhileDisconnected?: boolean;
  /**
   * Cluster only: keep one connection per master for SSUBSCRIBE (Redis 7 sharded pub/sub), so sharded
   * channels are subscribed on the shard that owns them. Needed by the sharded Socket.IO adapter.
   * @default false
   */
  shardedSubscribers?: boolean;
}

/** Reconnect delays: fast at first, then every 2 s, never giving up. */
export const reconnectBackoff = (attempt: number): number => Math.min(50 * 2 ** attempt, 2000);

/**
 * The one place connections are made, for every topology. Commands fail fast while disconnected (no
 * offline queue), so callers answer 503 at once instead of hanging; reconnection never gives up. The client
 * is created lazily: `connectRedis` connects it.
 */
export function createRedisClient(config: RedisConfig, options: RedisClientOptions): RedisClient {
  const queue = options.queueWhileDisconnected ?? false;
  if (config.topology === 'cluster') {
    return new Cluster(config.clusterNodes, {
      lazyConnect: true,
      enableOfflineQueue: queue,
      enableAutoPipelining: options.enableAutoPipelining ?? false,
      shardedSubscribers: options.shardedSubscribers ?? false,
      clusterRetryStrategy: reconnectBackoff,
      redisOptions: { ...perConnection(config, options), ...credentialsOf(config.url) },
    });
  }
  return createSingleNodeClient(config, options);
}

/** Standalone, or the master found through Sentinel. */
function createSingleNodeClient(config: RedisConfig, options: RedisClientOptions): Redis {
  const common: RedisOptions = {
    ...perConnection(config, options),
    lazyConnect: true,
    enableOfflineQueue: options.queueWhileDisconnected ?? false,
    enableAutoPipelining: options.enableAutoPipelining ?? false,
    retryStrategy: reconnectBackoff,
  };
  if (config.topology === 'sentinel') {
    return new Redis({ ...common, ...credentialsOf(config.url), sentinels: config.sentinels, name: config.sentinelName, sentinelRetryStrategy: reconnectBackoff });
  }
  return new Redis(config.url, common);
}

function perConnection(config: RedisConfig, options: RedisClientOptions): RedisOptions {
  const queue = options.queueWhileDisconnected ?? false;
  return {
    connectionName: options.connectionName,
    maxRetriesPerRequest: queue ? null : 1,
    commandTimeout: queue ? undefined : config.commandTimeoutMs,
  };
}

/**
 * A connection for classic SUBSCRIBE to `channel` that emits `ready` after every reconnect, whatever the
 * topology, so its owner knows when messages may have been missed. On Cluster it is one plain connection
 * to the master serving the channel's slot (classic PUBLISH reaches every node, so any node would do), found
 * anew on each reconnect: after a failover, the promoted replica. An ioredis Cluster client would move its
 * subscription to a random node on its own, without any event.
 */
export function createChannelSubscriber(config: RedisConfig, options: Pick<RedisClientOptions, 'connectionName'> & { channel: string }): Redis {
  if (config.topology !== 'cluster') return createSingleNodeClient(config, options);
  const connection = { ...perConnection(config, options), ...credentialsOf(config.url) };
  return new Redis({
    ...connection,
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: reconnectBackoff,
    Connector: clusterChannelConnector(config.clusterNodes, options.channel, {
      ...connection,
      connectionName: `${options.connectionName}:cluster-slots`,
      connectTimeout: config.commandTimeoutMs,
    }),
  });
}

/**
 * For connections that subscribe, whatever the client they are made from does. ioredis auto-pipelines PUNSUBSCRIBE (its
 * list of commands never auto-pipelined names `unpsubscribe` instead), so the Socket.IO Redis adapter's PUNSUBSCRIBE
 * at close was deferred behind QUIT and rejected "Connection is closed." with no handler: a drained gateway exited 1
 * with a stack trace (found by the soak).
 */
const SUBSCRIBER_OPTIONS = { enableAutoPipelining: false } as const satisfies RedisOptions;

/**
 * A subscriber connection for `channel` made from a client created elsewhere (an app's own ioredis client), not
 * connected yet: a standalone or Sentinel client is duplicated with its options; for a Cluster client it is the
 * same one-connection-to-the-channel's-master as `createChannelSubscriber`, seeded with the nodes the client knows.
 * Never auto-pipelined, whatever the app's client does (see `SUBSCRIBER_OPTIONS`).
 */
export function channelSubscriberFor(client: RedisClient, options: Pick<RedisClientOptions, 'connectionName'> & { channel: string }): Redis {
  if (!isCluster(client)) return client.duplicate({ ...SUBSCRIBER_OPTIONS, lazyConnect: true, connectionName: options.connectionName });
  const seeds = client.nodes().map((node) => ({ host: node.options.host ?? 'localhost', port: node.options.port ?? 6379 }));
  if (seeds.length === 0) throw new Error('The Redis Cluster client knows no nodes yet: connect it first');
  const connection: RedisOptions = { ...client.options.redisOptions, ...SUBSCRIBER_OPTIONS, connectionName: options.connectionName };
  return new Redis({
    ...connection,
    lazyConnect: true,
    enableOfflineQueue: false,
    retryStrategy: reconnectBackoff,
    Connector: clusterChannelConnector(seeds, options.channel, { ...connection, connectionName: `${options.connectionName}:cluster-slots` }),
  });
}

/** Where an existing client connects, for messages (no credentials). */
export function describeClient(client: RedisClient): string {
  if (isCluster(client)) return `Redis Cluster ${client.nodes().map((node) => `${node.options.host}:${node.options.port}`).join(',')}`;
  if (client.options.sentinels) return `Redis master "${client.options.name}" via Sentinel`;
  return client.options.path ? `Redis at ${client.options.path}` : `Redis at ${client.options.host}:${client.options.port}`;
}

/** Where the client connects, for messages (no credentials). */
export function describeRedis(config: RedisConfig): string {
  const addresses = (nodes: RedisConfig['clusterNodes']) => nodes.map((node) => `${node.host}:${node.port}`).join(',');
  if (config.topology === 'cluster') return `Redis Cluster ${addresses(config.clusterNodes)}`;
  if (config.topology === 'sentinel') return `Redis master "${config.sentinelName}" via Sentinel ${addresses(config.sentinels)}`;
  return `Redis at ${redisAddress(config.url)}`;
}

/** Redacts credentials from a Redis URL for messages. */
export function redisAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/** The credentials and TLS choice of `REDIS_URL`, applied to every node of a cluster or sentinel setup. */
function credentialsOf(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const parsed = new URL(url);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}
