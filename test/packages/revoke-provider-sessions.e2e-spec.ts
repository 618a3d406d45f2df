import { redisKeys, USER_LOGGED_OUT_ACK_CHANNEL, USER_LOGGED_OUT_CHANNEL } from '@app/contracts';
import { externalSessionId, externalUserId } from '@app/oidc';
import { createRevoker, DuplicateEventError, InvalidRevocationError, type Revoker } from '@sessionwire/revoke';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { UserLoggedOutListener } from '../support/user-logged-out-listener';

const TTL_SECONDS = 3660;
const DAY_MS = 86_400_000;

describe('@sessionwire/revoke on a real redis-server: ending sessions of an external provider', () => {
  let server: RedisServer;
  let redis: Redis;
  let listener: UserLoggedOutListener;
  let revoker: Revoker;

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

  /** An issuer no other test uses, so its messages and keys are this test's own. */
  const newIssuer = () => `https://idp-${randomUUID()}.example.com`;

  /** The record's value and its remaining TTL in ms. */
  async function recordOf(key: string): Promise<{ at: number; ttlMs: number } | null> {
    const [value, ttlMs] = await Promise.all([redis.get(key), redis.pttl(key)]);
    return value === null ? null : { at: Number(value), ttlMs };
  }

  it('a provider session (with its user): records it ended for the TTL and publishes the v2 message in the same step', async () => {
    const issuer = newIssuer();
    const { messageId } = await revoker.endProviderSessions({ issuer, subject: 'alice', providerSessionId: 'sid-1', ttlSeconds: TTL_SECONDS });

    const message = await listener.nextExternal((candidate) => candidate.issuer === issuer);
    expect(message).toEqual({ v: 2, id: messageId, issuer, subject: 'alice', providerSessionId: 'sid-1', reason: 'provider_logout', at: expect.any(Number) });
    const record = await recordOf(redisKeys.externalSessionEnded(externalSessionId(issuer, 'sid-1')));
    expect(record?.at).toBe(message.at);
    expect(record?.ttlMs).toBeGreaterThan((TTL_SECONDS - 60) * 1000);
    expect(record?.ttlMs).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    // A session end is not a user-wide end.
    expect(await redis.exists(redisKeys.externalUserEndedBefore(externalUserId(issuer, 'alice')))).toBe(0);
  });

  it('a session named without its user is ended the same way (subject null in the message)', async () => {
    const issuer = newIssuer();
    const { messageId } = await revoker.endProviderSessions({ issuer, providerSessionId: 'sid-2', ttlSeconds: 60, reason: 'admin_revoke' });

    const message = await listener.nextExternal((candidate) => candidate.issuer === issuer);
    expect(message).toMatchObject({ id: messageId, subject: null, providerSessionId: 'sid-2', reason: 'admin_revoke' });
    expect((await recordOf(redisKeys.externalSessionEnded(externalSessionId(issuer, 'sid-2'))))?.at).toBe(message.at);
  });

  it('only a subject: every session of that user until now, in the user\'s ended-before record', async () => {
    const issuer = newIssuer();
    const { messageId } = await revoker.endProviderSessions({ issuer, subject: 'bob', ttlSeconds: TTL_SECONDS });

    const message = await listener.nextExternal((candidate) => candidate.issuer === issuer);
    expect(message).toMatchObject({ id: messageId, subject: 'bob', providerSessionId: null });
    const record = await recordOf(redisKeys.externalUserEndedBefore(externalUserId(issuer, 'bob')));
    expect(record?.at).toBe(message.at);
    expect(record?.ttlMs).toBeGreaterThan((TTL_SECONDS - 60) * 1000);
  });

  it('an existing ended-before record keeps the larger time and the longer TTL; a smaller and shorter one is replaced', async () => {
    const issuer = newIssuer();
    const later = externalUserEndedBeforeKey(issuer, 'carol');
    const farFuture = Date.now() + DAY_MS;
    await redis.set(later, String(farFuture), 'PX', 10 * DAY_MS);
    await revoker.endProviderSessions({ issuer, subject: 'carol', ttlSeconds: TTL_SECONDS });
    const kept = await recordOf(later);
    expect(kept?.at).toBe(farFuture);
    expect(kept?.ttlMs).toBeGreaterThan(9 * DAY_MS);

    const earlier = externalUserEndedBeforeKey(issuer, 'dave');
    await redis.set(earlier, '1000', 'PX', 5000);
    await revoker.endProviderSessions({ issuer, subject: 'dave', ttlSeconds: TTL_SECONDS });
    const replaced = await recordOf(earlier);
    const message = await listener.nextExternal((candidate) => candidate.issuer === issuer && candidate.subject === 'dave');
    expect(replaced?.at).toBe(message.at);
    expect(replaced?.ttlMs).toBeGreaterThan((TTL_SECONDS - 60) * 1000);
  });

  it('an event id is acted on once: a repeat throws DuplicateEventError, records and publishes nothing', async () => {
    const issuer = newIssuer();
    const input = { issuer, subject: 'erin', providerSessionId: 'sid-3', ttlSeconds: TTL_SECONDS, eventId: 'jti-1' };
    const first = await revoker.endProviderSessions(input);
    const key = redisKeys.externalSessionEnded(externalSessionId(issuer, 'sid-3'));
    const recorded = await recordOf(key);

    await expect(revoker.endProviderSessions(input)).rejects.toBeInstanceOf(DuplicateEventError);
    await expect(revoker.endProviderSessions(input)).rejects.toMatchObject({ code: 'DUPLICATE_EVENT', eventId: 'jti-1', issuer });
    expect((await recordOf(key))?.at).toBe(recorded?.at);

    // The same event id of another issuer, or another event of this one, is acted on.
    const other = await revoker.endProviderSessions({ ...input, eventId: 'jti-2' });
    // The messages for the issuer, in order: the first call's, then jti-2's; nothing from the refused repeats.
    expect((await listener.nextExternal((candidate) => candidate.issuer === issuer)).id).toBe(first.messageId);
    expect((await listener.nextExternal((candidate) => candidate.issuer === issuer)).id).toBe(other.messageId);
    const elsewhere = newIssuer();
    await revoker.endProviderSessions({ ...input, issuer: elsewhere });
    await listener.nextExternal((candidate) => candidate.issuer === elsewhere);
  });

  it('refuses bad input before touching Redis', async () => {
    const issuer = newIssuer();
    await expect(revoker.endProviderSessions({ issuer, ttlSeconds: 60 })).rejects.toBeInstanceOf(InvalidRevocationError);
    await expect(revoker.endProviderSessions({ issuer, subject: 'frank', ttlSeconds: 0 })).rejects.toBeInstanceOf(InvalidRevocationError);
    expect(await redis.exists(externalUserEndedBeforeKey(issuer, 'frank'))).toBe(0);
    expect(listener.payloads().some((payload) => payload.includes(issuer))).toBe(false);
  });

  it('with confirm, waits for the live gateway nodes\' acknowledgements of the v2 message', async () => {
    // A live node as the registry knows it (heartbeat key), acknowledging every message as a gateway does.
    const nodeId = `node-${randomUUID().slice(0, 8)}`;
    await redis.sadd(redisKeys.registryNodes, nodeId);
    await redis.set(redisKeys.nodeHeartbeat(nodeId), '1', 'EX', 60);
    const gateway = new Redis(server.url);
    const acker = new Redis(server.url);
    await gateway.subscribe(USER_LOGGED_OUT_CHANNEL);
    gateway.on('message', (_channel: string, payload: string) => {
      const { id } = JSON.parse(payload) as { id: string };
      void acker.publish(USER_LOGGED_OUT_ACK_CHANNEL, JSON.stringify({ v: 1, id, nodeId, closedSockets: 3 }));
    });
    try {
      const result = await revoker.endProviderSessions({ issuer: newIssuer(), subject: 'grace', ttlSeconds: 60, confirm: { timeoutMs: 30_000 } });
      expect(result.confirmation).toEqual({ closedSockets: 3, nodes: [{ nodeId, closedSockets: 3 }], unconfirmedNodes: [] });
    } finally {
      await redis.srem(redisKeys.registryNodes, nodeId);
      await redis.del(redisKeys.nodeHeartbeat(nodeId));
      gateway.disconnect();
      acker.disconnect();
    }
  });
});

function externalUserEndedBeforeKey(issuer: string, subject: string): string {
  return redisKeys.externalUserEndedBefore(externalUserId(issuer, subject));
}
