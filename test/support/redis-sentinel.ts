import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './free-port';
import { findRedisServer, launchRedisServer, spawnUntilOutput, stopProcess, waitForReplicasOf, type TestRedis } from './redis-server';

/** The master's name in the sentinels' configuration (the apps' REDIS_SENTINEL_NAME). */
export const SENTINEL_MASTER_NAME = 'mymaster';

/**
 * A real Redis master, its replica and 3 sentinels watching them, all local processes on free ports under every
 * SESSIONWIRE_TEST_RUNTIME (the containers runtime covers the standalone Redis and nginx only).
 */
export interface RedisSentinelServer extends TestRedis {
  topology: 'sentinel';
  sentinels: Array<{ host: string; port: number }>;
  /** The port of the master the sentinels announce now. */
  masterPort(): Promise<number>;
  /** Kills the Redis (master or replica) on `port` with SIGKILL: no clean shutdown. */
  kill(port: number): Promise<void>;
  /** Resolves once the current master's replicas acknowledged all it has written. */
  replicasInSync(): Promise<void>;
}

/**
 * Failure detection in about a second (the default is 30 s) and a failover retried after 5 s (default 3 min):
 * the tests wait for a failover, not for production timeouts.
 */
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 5000;
/** How long the sentinels may take to discover each other (hello messages every 2 s) and the replica. */
const SENTINELS_READY_WITHIN_MS = 20_000;

/**
 * Starts a master, one replica and 3 sentinels (`redis-server <config> --sentinel`: Sentinel is part of the
 * redis-server binary, so Debian's `redis-server` package is enough; `redis-sentinel` is only its service
 * wrapper), and resolves once every sentinel knows the replica and the 2 other sentinels, so a failover can
 * be agreed on (quorum 2).
 */
export async function startRedisSentinel(): Promise<RedisSentinelServer> {
  const binary = findRedisServer();
  const dir = await mkdtemp(join(tmpdir(), 'sessionwire-redis-sentinel-'));
  const children = new Map<number, ChildProcess>();
  const cleanup = async () => {
    await Promise.all([...children.values()].map((child) => stopProcess(child, 'SIGKILL')));
    await rm(dir, { recursive: true, force: true });
  };
  const launchData = async (port: number, extra: string[]) => {
    const nodeDir = join(dir, String(port));
    await mkdir(nodeDir);
    children.set(port, await launchRedisServer(binary, ['--port', String(port), '--dir', nodeDir, ...extra]));
  };
  try {
    const [masterPort, replicaPort] = [await freePort(), await freePort()];
    await launchData(masterPort, []);
    await launchData(replicaPort, ['--replicaof', '127.0.0.1', String(masterPort)]);

    const sentinels: Array<{ host: string; port: number }> = [];
    for (let index = 0; index < 3; index++) {
      const port = await freePort();
      // Sentinel rewrites its config file as it learns the topology: each gets its own, writable.
      const configFile = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        configFile,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
          '',
        ].join('\n'),
      );
      children.set(port, await spawnUntilOutput(binary, [configFile, '--sentinel'], '+monitor master'));
      sentinels.push({ host: '127.0.0.1', port });
    }
    await Promise.all(sentinels.map((sentinel) => waitForPeers(sentinel.port)));

    const client = () => new Redis({ sentinels, name: SENTINEL_MASTER_NAME });
    const masterPortNow = async () => {
      for (const sentinel of sentinels.filter((candidate) => children.has(candidate.port))) {
        const probe = new Redis(sentinel.port, '127.0.0.1');
        try {
          const [, port] = (await probe.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME)) as [string, string];
          return Number(port);
        } finally {
          probe.disconnect();
        }
      }
      throw new Error('no sentinel is running');
    };
    return {
      topology: 'sentinel',
      sentinels,
      env: {
        REDIS_TOPOLOGY: 'sentinel',
        REDIS_SENTINELS: sentinels.map((sentinel) => `${sentinel.host}:${sentinel.port}`).join(','),
        REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
      },
      client,
      masterPort: masterPortNow,
      kill: async (port) => {
        await stopProcess(children.get(port), 'SIGKILL');
        children.delete(port);
      },
      replicasInSync: async () => waitForReplicasOf(await masterPortNow()),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Bounded poll of SENTINEL MASTER: discovery happens through periodic hello messages, with no event to await. */
async function waitForPeers(port: number): Promise<void> {
  const sentinel = new Redis(port, '127.0.0.1');
  const deadline = Date.now() + SENTINELS_READY_WITHIN_MS;
  try {
    let state: Record<string, string> = {};
    while (Date.now() < deadline) {
      const fields = (await sentinel.call('SENTINEL', 'MASTER', SENTINEL_MASTER_NAME)) as string[];
      state = Object.fromEntries(fields.flatMap((value, index) => (index % 2 === 0 ? [[value, fields[index + 1]]] : [])));
      if (Number(state['num-other-sentinels']) >= 2 && Number(state['num-slaves']) >= 1) return;
      await delay(100);
    }
    throw new Error(`sentinel ${port} did not see 2 other sentinels and a replica within ${SENTINELS_READY_WITHIN_MS} ms: ${JSON.stringify(state)}`);
  } finally {
    sentinel.disconnect();
  }
}
