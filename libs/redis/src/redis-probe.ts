import type { RedisClient } from './redis-client';

/**
 * How a connection answers right now, for health checks: `ready` when a PING succeeds; otherwise its connection
 * state (`connecting`, `reconnecting`, …), or `unresponsive` when it still looks connected but the PING failed
 * (a frozen or partitioned Redis sends no reset: commands time out on an open connection).
 */
export function probeRedis(client: RedisClient): Promise<string> {
  return client.ping().then(
    () => 'ready',
    () => (client.status === 'ready' ? 'unresponsive' : client.status),
  );
}
