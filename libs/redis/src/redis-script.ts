import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client';

type ScriptArgument = string | number;

/**
 * A Lua script exposed as a typed function: EVALSHA, loading it with EVAL on NOSCRIPT (a restarted or failed-over
 * Redis forgot it). Nothing is defined on the client, so it may be one an app owns. Keys must share a hash slot
 * (see `redisKeys`), unless the caller handles CROSSSLOT (`SessionStore.whichExist`). `numberOfKeys`: how many every
 * call passes, or `'any'`.
 */
export function defineRedisScript<Result>(
  client: RedisClient,
  name: string,
  numberOfKeys: number | 'any',
  lua: string,
): (keys: string[], args: ScriptArgument[]) => Promise<Result> {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (keys, args) => {
    if (numberOfKeys !== 'any' && keys.length !== numberOfKeys) throw new Error(`Script ${name} takes ${numberOfKeys} keys, got ${keys.length}`);
    try {
      return (await client.evalsha(sha, keys.length, ...keys, ...args)) as Result;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await client.eval(lua, keys.length, ...keys, ...args)) as Result;
    }
  };
}
