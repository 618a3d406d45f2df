import type { RedisNodeAddress } from '@app/config';
import calculateSlot from 'cluster-key-slot';
import { AbstractConnector, Redis, type RedisOptions } from 'ioredis';
import { createConnection, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';

/** `CLUSTER SLOTS`: slot ranges, each with its master, then its replicas, as `[host, port, id, …]`. */
type ClusterSlotsReply = Array<[start: number, end: number, ...nodes: Array<[host: string, port: number, ...rest: unknown[]]>]>;

/** Thrown when no known node of the cluster answered `CLUSTER SLOTS`, or none serves the channel's slot. */
export class ClusterChannelOwnerUnknownError extends Error {
  override readonly name = 'ClusterChannelOwnerUnknownError';

  constructor(channel: string, tried: readonly RedisNodeAddress[], cause: unknown) {
    super(
      `No Redis Cluster node told which master serves the slot of channel "${channel}" (asked ${tried.map((node) => `${node.host}:${node.port}`).join(', ')}: ` +
        `${cause instanceof Error ? cause.message : String(cause)}). Check REDIS_CLUSTER_NODES and that the cluster is up.`,
      { cause },
    );
  }
}

/**
 * An ioredis connector (the `Connector` option, as Sentinel support is built) that connects a plain `Redis` to
 * the master serving `channel`'s slot, asking the cluster anew on every connect and reconnect. The result is
 * one subscriber connection whose node is known and whose reconnects are seen (`ready`), even when its node
 * dies and a replica takes over: ioredis's own Cluster subscriber moves to another node silently.
 */
export function clusterChannelConnector(seeds: readonly RedisNodeAddress[], channel: string, probeOptions: RedisOptions): RedisOptions['Connector'] {
  const slot = calculateSlot(channel);
  // Nodes learned from earlier answers are asked too, so losing every seed node does not strand the subscriber.
  const known = new Map(seeds.map((node) => [`${node.host}:${node.port}`, node]));

  async function ownerOfSlot(): Promise<RedisNodeAddress> {
    let lastError: unknown = new Error('no node to ask');
    for (const node of [...known.values()]) {
      const probe = new Redis({ ...probeOptions, ...node, lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
      probe.on('error', (error: Error) => (lastError = error));
      try {
        await probe.connect();
        const ranges = (await probe.call('CLUSTER', 'SLOTS')) as ClusterSlotsReply;
        for (const [, , ...nodes] of ranges) for (const [host, port] of nodes) known.set(`${host}:${port}`, { host, port });
        const owner = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2];
        if (owner) return { host: owner[0], port: owner[1] };
        lastError = new Error(`slot ${slot} is not served`);
      } catch (error) {
        lastError = error;
      } finally {
        probe.disconnect();
      }
    }
    throw new ClusterChannelOwnerUnknownError(channel, [...known.values()], lastError);
  }

  return class ClusterChannelConnector extends AbstractConnector {
    private readonly options: RedisOptions;

    // ioredis passes the connection's own options (RedisOptions), typed `unknown` in its connector contract.
    constructor(options: unknown) {
      const redisOptions = options as RedisOptions;
      super(redisOptions.disconnectTimeout ?? 2000);
      this.options = redisOptions;
    }

    async connect(): Promise<Socket | TLSSocket> {
      this.connecting = true;
      const owner = await ownerOfSlot();
      // disconnect() may have been called while the cluster was being asked.
      if (!this.connecting) throw new Error('Connection is closed.');
      const stream = this.options.tls ? connectTls({ ...owner, ...this.options.tls }) : createConnection(owner);
      stream.once('error', (error: Error) => (this.firstError = error));
      this.stream = stream;
      return stream;
    }
  };
}
