import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/** A real redis-server for a test suite: started on a free port, stoppable and restartable on the same port. */
export interface RedisServer {
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
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
    const process_ = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = process_;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          process_.stdout?.off('data', onData);
          process_.stdout?.resume();
          resolve();
        }
      };
      process_.stdout?.on('data', onData);
      process_.stderr?.resume();
      process_.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)));
    });
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    cleanup: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
