import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis, type Cluster } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/** What the cluster harness needs of any Redis setup it runs the apps against. */
export interface TestRedis {
  topology: 'standalone' | 'cluster';
  /** The apps' env for this setup (REDIS_URL, or REDIS_TOPOLOGY and REDIS_CLUSTER_NODES). */
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
 * Starts redis-server with append-only persistence (fsync always), so a stop/start keeps every user and
 * session, like a production Redis with AOF. Readiness is its own "Ready to accept connections" line.
 */
export async function startRedisServer(): Promise<RedisServer> {
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
  const url = `redis://127.0.0.1:${port}`;
  return {
    topology: 'standalone',
    url,
    env: { REDIS_URL: url },
    client: () => new Redis(url),
    port,
    start,
    stop,
    cleanup: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Spawns redis-server on 127.0.0.1 with append-only persistence (fsync always) plus `args`, and resolves once
 * it printed "Ready to accept connections".
 */
export async function launchRedisServer(binary: string, args: string[]): Promise<ChildProcess> {
  const base = ['--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
  const child = spawn(binary, [...base, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.resume();
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)));
  });
  return child;
}

export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
