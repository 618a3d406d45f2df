import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './free-port';
import { findRedisServer, launchRedisServer, stopProcess, waitForReplicasOf, type TestRedis } from './redis-server';

/**
 * A real Redis Cluster of local redis-server processes (cluster mode, AOF), created with `redis-cli --cluster create`,
 * under every SESSIONWIRE_TEST_RUNTIME (the containers runtime covers the standalone Redis and nginx only).
 */
export interface RedisClusterServer extends TestRedis {
  topology: 'cluster';
  /** Every node, masters first as created (replicas follow). */
  nodes: Array<{ host: string; port: number }>;
  /** Kills one node (SIGKILL: no clean shutdown), e.g. a master to force a failover. */
  kill(port: number): Promise<void>;
  /** The port of the master serving `key` now. */
  masterOf(key: string): Promise<number>;
  /**
   * Resolves once every live replica has applied all its master has written. Replication is asynchronous:
   * a master killed before that loses its last writes, as a real one would.
   */
  replicasInSync(): Promise<void>;
}

export interface RedisClusterOptions {
  /** @default 3 */
  masters?: number;
  /** Replicas per master; with 1 a killed master fails over to its replica. @default 0 */
  replicas?: number;
}

export class RedisCliNotFoundError extends Error {
  override readonly name = 'RedisCliNotFoundError';

  constructor() {
    super('redis-cli not found on PATH (it creates the test cluster). Install it (Debian/Ubuntu: `sudo apt-get install -y redis-tools`), or set REDIS_CLI_BIN.');
  }
}

function findRedisCli(): string {
  const candidate = process.env.REDIS_CLI_BIN ?? 'redis-cli';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new RedisCliNotFoundError();
  return candidate;
}

/** How long the cluster may take to agree on its slots after `--cluster create` (gossip, on a loaded machine). */
const CLUSTER_OK_WITHIN_MS = 20_000;

/**
 * Starts `masters × (1 + replicas)` redis-server processes in cluster mode, each on a free port with a free
 * cluster-bus port (`--cluster-port`, so no port+10000 clash), joins them with `redis-cli --cluster create`,
 * and resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterServer> {
  const binary = findRedisServer();
  const cli = findRedisCli();
  const count = (options.masters ?? 3) * (1 + (options.replicas ?? 0));
  const dir = await mkdtemp(join(tmpdir(), 'sessionwire-redis-cluster-'));
  const children = new Map<number, ChildProcess>();
  const cleanup = async () => {
    await Promise.all([...children.values()].map((child) => stopProcess(child, 'SIGKILL')));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let index = 0; index < count; index++) {
      const [port, busPort] = [await freePort(), await freePort()];
      const nodeDir = join(dir, String(port));
      await mkdir(nodeDir);
      ports.push(port);
      children.set(
        port,
        await launchRedisServer(binary, [
          '--port', String(port),
          '--cluster-port', String(busPort),
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(nodeDir, 'nodes.conf'),
          // Failover within seconds in the tests (the default is 15 s).
          '--cluster-node-timeout', '2000',
          '--dir', nodeDir,
        ]),
      );
    }
    const create = spawnSync(
      cli,
      ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(options.replicas ?? 0), '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status}):\n${create.stdout}\n${create.stderr}`);
    await Promise.all(ports.map((port) => waitForClusterOk(port)));

    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    const client = () => new Cluster(nodes.slice(0, 1));
    return {
      topology: 'cluster',
      nodes,
      env: { REDIS_TOPOLOGY: 'cluster', REDIS_CLUSTER_NODES: nodes.map((node) => `${node.host}:${node.port}`).join(',') },
      client,
      kill: async (port) => {
        await stopProcess(children.get(port), 'SIGKILL');
        children.delete(port);
      },
      masterOf: async (key) => {
        const probe = new Redis(ports.find((port) => children.has(port)) ?? ports[0], '127.0.0.1');
        try {
          const slot = (await probe.call('CLUSTER', 'KEYSLOT', key)) as number;
          const shards = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
          const owner = shards.find(([from, to]) => slot >= from && slot <= to);
          if (!owner) throw new Error(`No node serves slot ${slot}`);
          return owner[2][1];
        } finally {
          probe.disconnect();
        }
      },
      replicasInSync: async () => {
        await Promise.all([...children.keys()].map((port) => waitForReplicasOf(port)));
      },
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Polls CLUSTER INFO (bounded): there is no event for "the nodes agree on the slot map". */
async function waitForClusterOk(port: number): Promise<void> {
  const node = new Redis(port, '127.0.0.1');
  const deadline = Date.now() + CLUSTER_OK_WITHIN_MS;
  try {
    let info = '';
    while (Date.now() < deadline) {
      info = (await node.call('CLUSTER', 'INFO')) as string;
      if (info.includes('cluster_state:ok')) return;
      await delay(100);
    }
    throw new Error(`Redis Cluster node ${port} not ok within ${CLUSTER_OK_WITHIN_MS} ms:\n${info}`);
  } finally {
    node.disconnect();
  }
}
