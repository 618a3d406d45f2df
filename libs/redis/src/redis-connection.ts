import type { RedisConfig } from '@app/config';
import { describeRedis, type RedisClient } from './redis-client';
import { RedisUnreachableError } from './redis-errors';

/**
 * Connects and waits for `ready`, failing with an actionable message after the timeout. `target` names where the
 * client connects in that message: the config it was made from, or a description of a client made elsewhere.
 */
export async function connectRedis(client: RedisClient, target: RedisConfig | string, timeoutMs: number): Promise<void> {
  let lastError: unknown = new Error('no answer');
  const onError = (error: unknown) => (lastError = error);
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RedisUnreachableError(typeof target === 'string' ? target : describeRedis(target), timeoutMs, lastError)), timeoutMs);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      client.connect().catch((error: unknown) => (lastError = error));
    });
  } catch (error) {
    client.disconnect();
    throw error;
  } finally {
    client.off('error', onError);
  }
}

/** Closes a connection: QUIT (pending replies first) when it is up, otherwise just drops the reconnect loop. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status === 'ready') await client.quit();
  else client.disconnect();
}
