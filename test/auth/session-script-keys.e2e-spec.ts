import { ROTATE_REFRESH_LUA } from '@app/sessions';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../support/redis-server';

/**
 * The key names are stated once (`redisKeys`): the session scripts derive none themselves, every key they touch comes
 * through KEYS. Called here with keys that follow no naming rule, the refresh rotation must use exactly those.
 */
describe('session scripts take every key through KEYS', () => {
  let redis: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = new Redis(redis.url);
  });

  afterAll(async () => {
    await client?.quit();
    await redis?.cleanup();
  });

  function rotateRefresh(keys: Record<'record' | 'rotated' | 'index' | 'previous' | 'data', string>, presentedHash: string): Promise<unknown> {
    const { record, rotated, index, previous, data } = keys;
    // ARGV: presented hash, new hash, now, idle ms, session id, channel, message, sealed successor, grace ms.
    return client.eval(ROTATE_REFRESH_LUA, 5, record, rotated, index, previous, data, presentedHash, 'new-hash', Date.now(), 60_000, 'sid', 'test-channel', '{}', '', 0);
  }

  async function storeSession(prefix: string): Promise<Record<'record' | 'rotated' | 'index' | 'previous' | 'data', string>> {
    const keys = { record: `${prefix}-r`, rotated: `${prefix}-x`, index: `${prefix}-i`, previous: `${prefix}-p`, data: `${prefix}-preferences` };
    await client.hset(keys.record, { refreshHash: 'current-hash', expiresAt: Date.now() + 3_600_000, lastSeenAt: 1 });
    await client.sadd(keys.rotated, 'rotated-away-hash');
    await client.hset(keys.data, 'theme', '"dark"');
    await client.pexpire(keys.data, 5_000);
    return keys;
  }

  it('a rotation answers the session data of the data key given, and slides that key', async () => {
    const keys = await storeSession('rotation');

    const [outcome, , dataFields] = (await rotateRefresh(keys, 'current-hash')) as [string, string[], string[]];

    expect(outcome).toBe('rotated');
    expect(dataFields).toEqual(['theme', '"dark"']);
    expect(await client.pttl(keys.data)).toBeGreaterThan(5_000);
  });

  it('a reuse deletes the data key given', async () => {
    const keys = await storeSession('reuse');

    expect(await rotateRefresh(keys, 'rotated-away-hash')).toEqual(['reused']);
    expect(await client.exists(keys.record, keys.rotated, keys.data)).toBe(0);
  });
});
