import { redisKeys, type SessionId, type UserId } from '@app/contracts';
import { ConnectionRegistry, type Connection, type ConnectionLimitPolicy, type StoredNodeEntry } from '@app/registry';
import { SessionStore } from '@app/sessions';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from '../support/free-port';
import { findRedisServer, launchRedisServer, startRedisServer, stopProcess, type RedisServer } from '../support/redis-server';

/**
 * The registry's admit script against a real redis-server: the session proof (and touch), the per-user limit and
 * the eviction happen in one step with the write, so a handshake needs one round trip for all of them.
 */
describe('ConnectionRegistry.admit (one script: session proven and touched, per-user limit, write)', () => {
  let redis: RedisServer;
  let client: Redis;
  let registry: ConnectionRegistry;
  let sessions: SessionStore;
  let counter = 0;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = redis.client() as Redis;
    registry = new ConnectionRegistry(client);
    sessions = new SessionStore(client, { idleTtlSeconds: 60, absoluteTtlSeconds: 3600 });
  });

  afterAll(async () => {
    client?.disconnect();
    await redis?.cleanup();
  });

  function newUser(): UserId {
    return `u-admit-${++counter}` as UserId;
  }

  const COOKIE_HASH = 'hash-of-the-cookie-secret';
  /** Admits through the registry, proving the session as the gateway does (`SessionStore.check`). */
  const admit = (entry: Connection, limit: { perUser: number; policy: ConnectionLimitPolicy }, cookieHash: string | null = null) =>
    registry.admit(entry, limit, sessions.check(entry.userId, entry.sessionId, cookieHash));

  async function liveSession(userId: UserId, sessionId: string): Promise<SessionId> {
    const record = { roles: 'user', createdAt: 1, expiresAt: Date.now() + 3_600_000, lastSeenAt: 1, userAgent: 'test', ip: '127.0.0.1', cookieHash: COOKIE_HASH };
    await client.hset(redisKeys.session(userId, sessionId as SessionId), record);
    await client.pexpire(redisKeys.session(userId, sessionId as SessionId), 5_000);
    await client.hset(redisKeys.sessionData(userId, sessionId as SessionId), 'theme', '"dark"');
    return sessionId as SessionId;
  }

  function connection(userId: UserId, sessionId: SessionId, socketId: string, connectedAt: number, nodeId = 'gw-a'): Connection {
    return { nodeId, socketId, userId, sessionId, connectedAt };
  }

  const entriesOfNode = async (nodeId: string) => {
    const entries: Connection[] = [];
    for await (const chunk of registry.socketsOfNode(nodeId, 100)) {
      for (const entry of chunk) {
        const parsed = entry.parse();
        if (!parsed) throw new Error(`the entry of ${entry.socketId} does not parse`);
        entries.push(parsed);
      }
    }
    return entries;
  };
  const userEntries = async (userId: UserId) => Object.keys(await client.hgetall(redisKeys.userSockets(userId))).sort();

  it('refuses a socket whose session no longer exists and records nothing', async () => {
    const userId = newUser();
    const admission = await admit(connection(userId, 'ended-session' as SessionId, 's1', 1), { perUser: 0, policy: 'reject_new' });

    expect(admission).toEqual({ accepted: false, reason: 'session_ended' });
    expect(await userEntries(userId)).toEqual([]);
  });

  it('records a socket of a live session, answers what a socket keeps of the session and slides its idle timeout', async () => {
    const userId = newUser();
    const sessionId = await liveSession(userId, 'live');

    const admission = await admit(connection(userId, sessionId, 's1', 1), { perUser: 0, policy: 'reject_new' });

    const session = { userId, sessionId, roles: ['user'], createdAt: 1, expiresAt: expect.any(Number), data: { theme: 'dark' } };
    expect(admission).toEqual({ accepted: true, evicted: [], session });
    expect(await userEntries(userId)).toEqual(['s1']);
    expect(await client.pttl(redisKeys.session(userId, sessionId))).toBeGreaterThan(5_000);
  });

  it('with a cookie hash, refuses a session holding another one, and touches nothing', async () => {
    const userId = newUser();
    const sessionId = await liveSession(userId, 'live');
    const limit = { perUser: 0, policy: 'reject_new' } as const;

    expect(await admit(connection(userId, sessionId, 's1', 1), limit, 'a-forged-hash')).toEqual({ accepted: false, reason: 'session_ended' });
    expect(await userEntries(userId)).toEqual([]);
    expect(await client.pttl(redisKeys.session(userId, sessionId))).toBeLessThanOrEqual(5_000);
    expect((await admit(connection(userId, sessionId, 's2', 2), limit, COOKIE_HASH)).accepted).toBe(true);
  });

  it('reject_new: at the limit the new socket is refused and the others stay', async () => {
    const userId = newUser();
    const sessionId = await liveSession(userId, 'live');
    const limit = { perUser: 2, policy: 'reject_new' } as const;
    await admit(connection(userId, sessionId, 's1', 1), limit);
    await admit(connection(userId, sessionId, 's2', 2), limit);

    expect(await admit(connection(userId, sessionId, 's3', 3), limit)).toEqual({ accepted: false, reason: 'limit_reached' });
    expect(await userEntries(userId)).toEqual(['s1', 's2']);
  });

  it('evict_oldest: the oldest entry is returned and removed from both views', async () => {
    const userId = newUser();
    const sessionId = await liveSession(userId, 'live');
    const limit = { perUser: 2, policy: 'evict_oldest' } as const;
    const oldest = connection(userId, sessionId, 's1', 1, 'gw-b');
    await registry.addToNode(oldest);
    await admit(oldest, limit);
    await admit(connection(userId, sessionId, 's2', 2), limit);

    const admission = await admit(connection(userId, sessionId, 's3', 3), limit);

    expect(admission).toEqual({ accepted: true, evicted: [oldest], session: expect.objectContaining({ sessionId }) });
    expect(await userEntries(userId)).toEqual(['s2', 's3']);
    expect(await client.hexists(redisKeys.nodeSockets('gw-b'), 's1')).toBe(0);
  });
  it("reads an older gateway's entries (no transport, no credential expiry) beside current ones, in both views", async () => {
    const userId = newUser();
    const sessionId = 'session-of-two-versions' as SessionId;
    await client.hset(redisKeys.userSockets(userId), 'old', JSON.stringify({ nodeId: 'gw-old', sessionId, connectedAt: 1 }));
    await client.hset(redisKeys.nodeSockets('gw-old'), 'old', JSON.stringify({ userId, sessionId, connectedAt: 1 }));
    const current: Connection = { ...connection(userId, sessionId, 'new', 2, 'gw-new'), transport: 'websocket', credentialExpiresAt: 3 };
    await registry.add([current]);

    expect(await registry.connectionsOf(userId)).toEqual([{ nodeId: 'gw-old', socketId: 'old', userId, sessionId, connectedAt: 1 }, current]);
    expect(await entriesOfNode('gw-old')).toEqual([{ nodeId: 'gw-old', socketId: 'old', userId, sessionId, connectedAt: 1 }]);
    expect(await entriesOfNode('gw-new')).toEqual([current]);
  });
  it("reads a node's entries in chunks of about the size asked, every entry at least once", async () => {
    const userId = newUser();
    const written = Array.from({ length: 600 }, (_, index) => connection(userId, 'session-of-many' as SessionId, `socket-${index}`, index, 'gw-many'));
    await registry.add(written);

    const chunks: StoredNodeEntry[][] = [];
    for await (const chunk of registry.socketsOfNode('gw-many', 100)) chunks.push(chunk);

    expect(chunks.length).toBeGreaterThan(3);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(300);
    expect(new Set(chunks.flat().map((entry) => entry.socketId))).toEqual(new Set(written.map((entry) => entry.socketId)));
  });
});

describe('SessionStore.whichExist (the re-check: one script per batch on standalone Redis)', () => {
  let redis: RedisServer;
  let client: Redis;
  let sessions: SessionStore;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = redis.client() as Redis;
    sessions = new SessionStore(client, { idleTtlSeconds: 60, absoluteTtlSeconds: 3600 });
  });

  afterAll(async () => {
    client?.disconnect();
    await redis?.cleanup();
  });

  it('answers for each session in order whether its record exists, after Redis forgot the script too', async () => {
    const asked = Array.from({ length: 300 }, (_, index) => ({ userId: `u-exists-${index % 7}` as UserId, sessionId: `s-${index}` as SessionId }));
    const existing = asked.filter((_, index) => index % 3 !== 1);
    for (const { userId, sessionId } of existing) await client.hset(redisKeys.session(userId, sessionId), 'createdAt', 1);

    const expected = asked.map((_, index) => index % 3 !== 1);
    expect(await sessions.whichExist(asked)).toEqual(expected);
    await client.script('FLUSH');
    expect(await sessions.whichExist(asked)).toEqual(expected);
    expect(await sessions.whichExist([])).toEqual([]);
  });

  it('falls back to one EXISTS each, once, where one address refuses a script over several slots (a cluster-mode server serving every slot)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sessionwire-sharded-'));
    const port = await freePort();
    const server = await launchRedisServer(findRedisServer(), ['--port', String(port), '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf')]);
    const sharded = new Redis({ host: '127.0.0.1', port });
    try {
      await sharded.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
      while (!String(await sharded.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) await delay(50);
      const store = new SessionStore(sharded, { idleTtlSeconds: 60, absoluteTtlSeconds: 3600 });
      const asked = Array.from({ length: 20 }, (_, index) => ({ userId: `u-sharded-${index}` as UserId, sessionId: `s-${index}` as SessionId }));
      for (const { userId, sessionId } of asked.filter((_, index) => index % 2 === 0)) await sharded.hset(redisKeys.session(userId, sessionId), 'createdAt', 1);

      const expected = asked.map((_, index) => index % 2 === 0);
      expect(await store.whichExist(asked)).toEqual(expected);
      expect(await store.whichExist(asked)).toEqual(expected);
      // Refused once (CROSSSLOT), not tried again.
      expect(String(await sharded.info('commandstats'))).toMatch(/cmdstat_evalsha:calls=0,.*rejected_calls=1,/);
    } finally {
      sharded.disconnect();
      await stopProcess(server, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
