import type { RedisClient } from './redis-client';

type ScriptArgument = string | number;

/**
 * A Lua script registered once with ioredis (`defineCommand`: EVALSHA with a fallback to EVAL),
 * exposed as a typed function. Keys must share a hash slot (see `redisKeys`).
 */
export function defineRedisScript<Result>(
  client: RedisClient,
  name: string,
  numberOfKeys: number,
  lua: string,
): (keys: string[], args: ScriptArgument[]) => Promise<Result> {
  client.defineCommand(name, { numberOfKeys, lua });
  const command = (client as unknown as Record<string, (...args: ScriptArgument[]) => Promise<Result>>)[name].bind(client);
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`Script ${name} takes ${numberOfKeys} keys, got ${keys.length}`);
    return command(...keys, ...args);
  };
}
