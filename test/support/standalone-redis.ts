import { Redis } from 'ioredis';
import type { RedisServer } from './redis-server';

/** A standalone Redis on 127.0.0.1:`port` as the tests see it, whatever runs it (a local process or a container). */
export function standaloneRedis(port: number, lifecycle: Pick<RedisServer, 'start' | 'stop' | 'signal' | 'cleanup'>): RedisServer {
  const url = `redis://127.0.0.1:${port}`;
  return { topology: 'standalone', url, env: { REDIS_URL: url }, client: () => new Redis(url), port, ...lifecycle };
}
