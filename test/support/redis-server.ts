import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis, type Cluster } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port';
import { startRedisContainer } from './redis-container';
import { standaloneRedis } from './standalone-redis';
import { runtimeOfThisRun } from './test-runtime';

/** What the cluster harness needs of any Redis setup it runs the apps against. */
export interface TestRedis {
  topology: 'standalone' | 'sentinel' | 'cluster';
  /** The apps' env for this setup (REDIS_URL, or REDIS_TOPOLOGY with REDIS_CLUSTER_NODES or REDIS_SENTINELS). */
  env: Record<string, string>;
  /** A new client to inspect or publish with (the caller quits it). */
  client(): Redis | Cluster;
  cleanup(): Promise<void>;
}

/** A real redis-server for a test suite: started on a free port, stoppable and restartable on the same port. */
export interface RedisServer extends TestRedis {
  topology: 'standalone';
  url: string;
  port: number;
  /** Stops the server (SIGTERM: it writes its AOF, as in a clean restart). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data directory. */
  start(): Promise<void>;
  /**
   * Freezes (SIGSTOP; `docker pause` in a container) or thaws (SIGCONT; `docker unpause`) the server: its
   * connections stay open, but nothing answers meanwhile.
   */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): Promise<void>;
  /** Stops it for good and removes its data. */
  cleanup(): Promise<void>;
}

export class RedisServerNotFoundError extends Error {
  override readonly name = 'RedisServerNotFoundError';

  constructor() {
    super(
      'redis-server not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`), ' +
        'or set REDIS_SERVER_BIN to its path.',
    );
  }
}

export function findRedisServer(): string {
  const candidate = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new RedisServerNotFoundError();
  return candidate;
}

/**
 * redis-server on 127.0.0.1 with append-only persistence (fsync always), so a stop/start keeps every user and
 * session, like a production Redis with AOF.
 */
const REDIS_SERVER_ARGS = ['--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];

/**
 * Starts a redis-server (see REDIS_SERVER_ARGS) where this run's runtime says: a local process, or a container
 * (redis-container.ts) with the same interface. Readiness is its own "Ready to accept connections" line.
 */
export async function startRedisServer(): Promise<RedisServer> {
  if (runtimeOfThisRun() === 'containers') return startRedisContainer(REDIS_SERVER_ARGS);
  return startLocalRedisServer();
}

async function startLocalRedisServer(): Promise<RedisServer> {
  const binary = findRedisServer();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'sessionwire-redis-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    child = await launchRedisServer(binary, ['--port', String(port), '--dir', dir]);
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    await stopProcess(running, 'SIGTERM');
  };

  await start();
  return standaloneRedis(port, {
    start,
    stop,
    signal: async (signal) => {
      if (!child) throw new Error('redis-server is not running');
      child.kill(signal);
    },
    cleanup: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/** Spawns redis-server with REDIS_SERVER_ARGS plus `args`, and resolves once it printed "Ready to accept connections". */
export function launchRedisServer(binary: string, args: string[]): Promise<ChildProcess> {
  return spawnUntilOutput(binary, [...REDIS_SERVER_ARGS, ...args], 'Ready to accept connections');
}

/** Spawns `binary` and resolves once its stdout contained `readyText`; rejects with the output if it exits first. */
export async function spawnUntilOutput(binary: string, args: string[], readyText: string): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyText)) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.resume();
    child.once('exit', (code) => reject(new Error(`${binary} ${args.join(' ')} exited with ${code} before it was ready:\n${output}`)));
  });
  return child;
}

/** How long replicas may take to acknowledge their master's writes (they report their offset every second). */
const REPLICAS_IN_SYNC_WITHIN_MS = 20_000;

/**
 * Resolves once every replica of the master at `port` has acknowledged all it has written (bounded poll of
 * INFO replication: Redis announces no such event). Returns at once for a node that is not a master.
 */
export async function waitForReplicasOf(port: number): Promise<void> {
  const node = new Redis(port, '127.0.0.1');
  const deadline = Date.now() + REPLICAS_IN_SYNC_WITHIN_MS;
  try {
    let info = '';
    while (Date.now() < deadline) {
      info = (await node.info('replication')) as string;
      const masterOffset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
      const replicaOffsets = [...info.matchAll(/^slave\d+:.*offset=(\d+)/gm)].map((match) => Number(match[1]));
      if (!info.includes('role:master') || replicaOffsets.every((offset) => offset >= masterOffset)) return;
      await delay(50);
    }
    throw new Error(`the replicas of the Redis at ${port} did not catch up within ${REPLICAS_IN_SYNC_WITHIN_MS} ms:\n${info}`);
  } finally {
    node.disconnect();
  }
}

export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
