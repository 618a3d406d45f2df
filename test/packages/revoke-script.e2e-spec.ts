import { createUserLoggedOut, redisKeys, type SessionId } from '@app/contracts';
import { CallerSessionEndedError, createRevoker, RevokerClosedError, type Revoker } from '@sessionwire/revoke';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { runEndSessions } from '../../libs/revoke/src/end-sessions-script';
import { eventually } from '../support/eventually';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { UserLoggedOutListener } from '../support/user-logged-out-listener';

const COOKIE_HASH = 'c'.repeat(64);

describe('@sessionwire/revoke on a real redis-server: what the session-end script does', () => {
  let server: RedisServer;
  let redis: Redis;
  let listener: UserLoggedOutListener;
  let revoker: Revoker;
  let counter = 0;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = server.client() as Redis;
    listener = await UserLoggedOutListener.start(server.url);
    revoker = createRevoker({ redis });
  });

  afterAll(async () => {
    await revoker?.close();
    await listener?.close();
    await redis?.quit();
    await server?.cleanup();
  });

  /** A user with `count` sessions written as the session store writes them: record, rotated hashes, data, previous token, index. */
  async function userWithSessions(count: number): Promise<{ userId: string; sessionIds: SessionId[] }> {
    const userId = randomUUID();
    const sessionIds = Array.from({ length: count }, nextSessionId);
    for (const sessionId of sessionIds) await writeSession(userId, sessionId);
    return { userId, sessionIds };
  }

  /** A well-formed session id (24 characters) no other test uses. */
  const nextSessionId = (): SessionId => `session-${String(++counter).padStart(16, '0')}`;

  async function writeSession(userId: string, sessionId: SessionId): Promise<void> {
    const expiresAt = Date.now() + 3_600_000;
    await redis.hset(redisKeys.session(userId, sessionId), { cookieHash: COOKIE_HASH, expiresAt });
    await redis.sadd(redisKeys.rotatedRefreshTokens(userId, sessionId), 'old-hash');
    await redis.hset(redisKeys.sessionData(userId, sessionId), 'theme', '"dark"');
    await redis.hset(redisKeys.previousRefreshToken(userId, sessionId), { hash: 'h', sealedSuccessor: 's' });
    await redis.zadd(redisKeys.userSessions(userId), expiresAt, sessionId);
  }

  const keysOf = (userId: string, sessionId: SessionId) => [
    redisKeys.session(userId, sessionId),
    redisKeys.rotatedRefreshTokens(userId, sessionId),
    redisKeys.sessionData(userId, sessionId),
    redisKeys.previousRefreshToken(userId, sessionId),
  ];
  const existing = (keys: string[]) => redis.exists(...keys);

  /** The next message for `userId` is the one with `id`: nothing was announced for that user before it. */
  async function nextMessageIs(userId: string, id: string): Promise<void> {
    expect((await listener.next((message) => message.userId === userId)).id).toBe(id);
  }

  it('ends the listed sessions with every key of theirs and their index entry, publishing once in the same step; the others stay', async () => {
    const { userId, sessionIds } = await userWithSessions(3);
    const [first, second, kept] = sessionIds;

    const result = await revoker.endSessions({ userId, sessionIds: [first, second], reason: 'session_revoked' });

    expect(result).toEqual({ ended: [first, second], messageId: expect.any(String) });
    expect(await existing([...keysOf(userId, first), ...keysOf(userId, second)])).toBe(0);
    expect(await existing(keysOf(userId, kept))).toBe(4);
    expect(await redis.zrange(redisKeys.userSessions(userId), '0', '-1')).toEqual([kept]);
    const message = await listener.next((candidate) => candidate.userId === userId);
    expect(message).toEqual({ v: 1, id: result.messageId, userId, sessionIds: [first, second], reason: 'session_revoked', at: expect.any(Number) });
  });

  it('publishes nothing when none of the listed sessions existed (messageId null; a confirmation comes back empty at once)', async () => {
    const { userId, sessionIds } = await userWithSessions(1);
    const gone = nextSessionId();

    expect(await revoker.endSessions({ userId, sessionIds: [gone], reason: 'logout' })).toEqual({ ended: [], messageId: null });
    expect(await revoker.endSessions({ userId, sessionIds: [gone], reason: 'logout', confirm: { timeoutMs: 60_000 } })).toEqual({
      ended: [],
      messageId: null,
      confirmation: { closedSockets: 0, nodes: [], unconfirmedNodes: [] },
    });

    const { messageId } = await revoker.endSessions({ userId, sessionIds, reason: 'logout' });
    await nextMessageIs(userId, messageId as string);
  });

  it('with a caller, ends nothing unless that session is alive and holds the cookie hash', async () => {
    const { userId, sessionIds } = await userWithSessions(2);
    const [caller, other] = sessionIds;
    const refused = [
      { sessionId: nextSessionId(), cookieHash: null },
      { sessionId: caller, cookieHash: 'f'.repeat(64) },
    ];
    for (const attempt of refused) {
      await expect(revoker.endSessions({ userId, sessionIds: null, reason: 'logout_all', caller: attempt })).rejects.toBeInstanceOf(CallerSessionEndedError);
    }
    expect(await existing([...keysOf(userId, caller), ...keysOf(userId, other)])).toBe(8);

    const result = await revoker.endSessions({ userId, sessionIds: null, reason: 'logout_all', caller: { sessionId: caller, cookieHash: COOKIE_HASH } });
    expect(result.ended.sort()).toEqual([caller, other].sort());
    expect(await existing([...keysOf(userId, caller), ...keysOf(userId, other), redisKeys.userSessions(userId)])).toBe(0);
    await nextMessageIs(userId, result.messageId as string);
  });

  it('ending every session refuses a list read before a login (stale) and changes nothing; the revoker reads again and ends them all', async () => {
    const { userId, sessionIds } = await userWithSessions(1);
    const [before] = sessionIds;
    const after = nextSessionId();
    await writeSession(userId, after);
    const message = createUserLoggedOut(userId, null, 'admin_revoke');

    expect(await runEndSessions(redis, { userId, sessionIds: [before], scope: 'all', message })).toEqual({ outcome: 'stale' });
    expect(await existing([...keysOf(userId, before), ...keysOf(userId, after)])).toBe(8);

    const result = await revoker.endSessions({ userId, sessionIds: null, reason: 'admin_revoke' });
    expect(result.ended.sort()).toEqual([before, after].sort());
    expect(await existing([...keysOf(userId, before), ...keysOf(userId, after), redisKeys.userSessions(userId)])).toBe(0);
    // The refused run published nothing: the first message for the user is the revoker's.
    await nextMessageIs(userId, result.messageId as string);
  });

  it('close() closes what the revoker opened and leaves the app\'s client open', async () => {
    const clientNames = async () => [...((await redis.client('LIST')) as string).matchAll(/ name=(\S*)/g)].map((match) => match[1]);
    const own = createRevoker({ redis, connectionName: 'revoker-on-app-client' });
    const { userId, sessionIds } = await userWithSessions(1);
    await own.endSessions({ userId, sessionIds, reason: 'logout', confirm: { timeoutMs: 1 } });
    expect(await clientNames()).toContain('revoker-on-app-client:acks');

    await own.close();
    await eventually(async () => expect(await clientNames()).not.toContain('revoker-on-app-client:acks'));
    expect(await redis.ping()).toBe('PONG');
    await expect(own.endSessions({ userId, sessionIds, reason: 'logout' })).rejects.toBeInstanceOf(RevokerClosedError);

    const owning = createRevoker({ redis: server.url, connectionName: 'revoker-own-connection' });
    await owning.endSessions({ userId, sessionIds, reason: 'logout' });
    expect(await clientNames()).toContain('revoker-own-connection');
    await owning.close();
    await eventually(async () => expect(await clientNames()).not.toContain('revoker-own-connection'));
  });
});
