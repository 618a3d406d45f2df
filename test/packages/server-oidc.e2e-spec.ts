import { createExternalUserLoggedOut, parseUserLoggedOutAck, redisKeys, USER_LOGGED_OUT_ACK_CHANNEL, USER_LOGGED_OUT_CHANNEL, type UserLoggedOutAck } from '@app/contracts';
import { endedSessionTtlSeconds, externalSessionId, externalUserId, sessionlessSessionId, trustedIssuerSchema, type TrustedIssuerInput } from '@app/oidc';
import { createSessionwire, JwksUnavailableError, type Sessionwire, type SessionwireOptions, type SessionwireSocketData } from '@sessionwire/server';
import { Redis, type Cluster } from 'ioredis';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { TEST_ORIGIN } from '../support/cluster';
import { eventually } from '../support/eventually';
import { startRedisCluster, type RedisClusterServer } from '../support/redis-cluster';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { base64url, TestTokenIssuer } from '../support/token-issuer';
import { closeAllSockets, connectError, connectSocket, disconnected, nextEvent, type ClientSocket, type ReceivedEvent } from '../support/sockets';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Sessions of external OpenID Providers at @sessionwire/server: two nodes (each a sessionwire on a Socket.IO server of
 * the test's own) against a real redis-server, trusting a provider whose discovery document and JWKS a real HTTP server
 * serves. The provider's logout is what the auth service's back-channel receiver writes and publishes, done here by
 * the test with the same Redis writes and `createExternalUserLoggedOut`.
 */
describe('@sessionwire/server with external OpenID Providers (oidcIssuers)', () => {
  let redis: RedisServer;
  let commands: Redis;
  let acks: Redis;
  let provider: TestTokenIssuer;
  let entry: TrustedIssuerInput;
  const nodes: Array<{ wire: Sessionwire; io: Server; url: string }> = [];
  const received: UserLoggedOutAck[] = [];

  async function startNode(nodeId: string, extra: Partial<SessionwireOptions> = {}) {
    const wire = await createSessionwire({
      redis: redis.url,
      nodeId,
      allowedOrigins: [TEST_ORIGIN],
      oidcIssuers: [entry],
      // Every unknown kid refetches at once: the test publishes keys and signs with them right away.
      oidcKeys: { cooldownMs: 1, waitMs: 5000 },
      connectionLimit: { perUser: 4, policy: 'reject_new' },
      logger: silent,
      ...extra,
    });
    const httpServer = createServer();
    const io = new Server<Record<string, never>, Record<string, never>, Record<string, never>, SessionwireSocketData>(httpServer);
    wire.attach(io);
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const node = { wire, io: io as Server, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
    nodes.push(node);
    return node;
  }

  /** Stops a node the test started for itself, and takes it out of `nodes` (whose acknowledgements tests count). */
  async function stopNode(node: (typeof nodes)[number]) {
    nodes.splice(nodes.indexOf(node), 1);
    closeAllSockets();
    await node.wire.close();
    await node.io.close();
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    commands = new Redis(redis.url);
    acks = new Redis(redis.url);
    acks.on('message', (_channel: string, payload: string) => {
      const parsed = parseUserLoggedOutAck(payload);
      if (parsed.ok) received.push(parsed.message);
    });
    await acks.subscribe(USER_LOGGED_OUT_ACK_CHANNEL);
    provider = await TestTokenIssuer.start();
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) await provider.publish(alg, `${alg}-1`);
    entry = {
      name: 'test-idp',
      issuer: provider.issuer,
      audience: 'api',
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      claims: { roles: 'realm_access.roles' },
      clockSkewSeconds: 5,
      maxTokenLifetimeSeconds: 600,
    };
    await startNode('oidc-1');
    await startNode('oidc-2');
  });

  afterEach(() => closeAllSockets());

  afterAll(async () => {
    for (const { wire, io } of nodes) {
      await wire.close();
      await io.close();
    }
    await acks?.quit();
    await commands?.quit();
    await provider?.close();
    await redis?.cleanup();
  });

  const serverSocketOf = (client: ClientSocket) =>
    nodes.flatMap(({ wire }) => wire.localSockets().all()).find((socket) => socket.id === client.id)!;

  /** Records the provider's end of a session as the back-channel receiver does, then announces it (v2). */
  async function endAtProvider(ended: { subject: string; providerSessionId: string | null }) {
    const message = createExternalUserLoggedOut(provider.issuer, ended, 'provider_logout');
    const ttl = endedSessionTtlSeconds(trustedIssuerSchema.parse(entry));
    if (ended.providerSessionId !== null) {
      await commands.set(redisKeys.externalSessionEnded(externalSessionId(provider.issuer, ended.providerSessionId)), message.at, 'EX', ttl);
    } else {
      await commands.set(redisKeys.externalUserEndedBefore(externalUserId(provider.issuer, ended.subject)), message.at, 'EX', ttl);
    }
    await commands.publish(USER_LOGGED_OUT_CHANNEL, JSON.stringify(message));
    return message;
  }

  /** Waits until every node acknowledged the message, and returns how many sockets each closed. */
  function closedByEveryNode(messageId: string): Promise<number[]> {
    return eventually(() => {
      const ofMessage = received.filter((ack) => ack.id === messageId).sort((a, b) => a.nodeId.localeCompare(b.nodeId));
      expect(ofMessage.map((ack) => ack.nodeId)).toEqual(nodes.map((node) => node.wire.nodeId));
      return ofMessage.map((ack) => ack.closedSockets);
    });
  }

  it.each(['RS256', 'ES256', 'EdDSA'] as const)('accepts a %s token: socket.data has our derived ids and the provider values', async (alg) => {
    const token = await provider.sign(`${alg}-1`, { sub: `user-${alg}`, realm_access: { roles: ['editor'] } });
    const client = await connectSocket(nodes[0].url, { token });
    expect(serverSocketOf(client).data).toMatchObject({
      userId: externalUserId(provider.issuer, `user-${alg}`),
      sessionId: externalSessionId(provider.issuer, 'session-a'),
      issuer: provider.issuer,
      subject: `user-${alg}`,
      providerSessionId: 'session-a',
      roles: ['editor'],
      sessionData: {},
    });
  });

  it('a token without sid gets the sessionless session of its user', async () => {
    const client = await connectSocket(nodes[0].url, { token: await provider.sign('ES256-1', { sid: undefined }) });
    expect(serverSocketOf(client).data).toMatchObject({ sessionId: sessionlessSessionId(provider.issuer, 'alice'), providerSessionId: null });
  });

  it('refuses forged and unfit tokens; an unknown iss costs no request to any provider', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: provider.issuer, sub: 'alice', sid: 'session-a', aud: 'api', iat: now, exp: now + 300 };
    const hs256 = `${base64url({ alg: 'HS256', kid: 'RS256-1' })}.${base64url(claims)}`;
    const cases: Array<[string, Promise<string> | string, string, RegExp]> = [
      ['unknown iss', provider.sign('ES256-1', { iss: 'https://evil.example.com' }), 'UNAUTHORIZED', /issuer \(iss\) is not trusted/],
      ['wrong aud', provider.sign('RS256-1', { aud: 'another-api' }), 'UNAUTHORIZED', /^Access token rejected: jwt audience invalid$/],
      ['wrong aud (EdDSA)', provider.sign('EdDSA-1', { aud: 'another-api' }), 'UNAUTHORIZED', /aud/],
      ['alg none', `${base64url({ alg: 'none', kid: 'RS256-1' })}.${base64url(claims)}.`, 'UNAUTHORIZED', /alg none not accepted/],
      ['an alg that is no algorithm name (not echoed)', `${base64url({ alg: 'x'.repeat(200), kid: 'RS256-1' })}.${base64url(claims)}.`, 'UNAUTHORIZED', /^Access token rejected: alg \(unrecognised\) not accepted$/],
      ['HS256 signed with the public key', `${hs256}.${createHmac('sha256', provider.publicPem('RS256-1')).update(hs256).digest('base64url')}`, 'UNAUTHORIZED', /alg HS256 not accepted/],
      ['expired beyond the skew', provider.sign('ES256-1', { iat: now - 120, exp: now - 6 }), 'TOKEN_EXPIRED', /expired/],
      ['expired beyond the skew (EdDSA)', provider.sign('EdDSA-1', { iat: now - 120, exp: now - 6 }), 'TOKEN_EXPIRED', /expired/],
      ['a lifetime over the maximum', provider.sign('ES256-1', { iat: now, exp: now + 601 }), 'UNAUTHORIZED', /lives longer than 600 s/],
      ['no exp', provider.sign('RS256-1', { exp: undefined }), 'UNAUTHORIZED', /exp and iat are required/],
    ];
    const requestsBefore = provider.jwksRequests;
    for (const [label, token, code, reason] of cases) {
      const refused = await connectError(nodes[0].url, { token: await token });
      expect({ label, code: refused.data?.code, message: refused.data?.message }).toEqual({ label, code, message: expect.stringMatching(reason) });
    }
    expect(provider.jwksRequests).toBe(requestsBefore);
    // Within the skew an expired token still passes.
    expect((await connectSocket(nodes[0].url, { token: await provider.sign('ES256-1', { iat: now - 120, exp: now - 2 }) })).connected).toBe(true);
  });

  it('a key published a second ago verifies after one JWKS refetch', async () => {
    await provider.publish('ES256', 'ES256-new');
    const requestsBefore = provider.jwksRequests;
    const client = await connectSocket(nodes[1].url, { token: await provider.sign('ES256-new') });
    expect(client.connected).toBe(true);
    expect(provider.jwksRequests).toBe(requestsBefore + 1);
    // Now two ES256 keys: a token naming none is refused, saying why; with one RS256 key, one naming none verifies.
    const refused = await connectError(nodes[1].url, { token: await provider.sign('ES256-new', {}, { kid: false }) });
    expect(refused.data).toEqual({ code: 'UNAUTHORIZED', message: 'Access token rejected: it names no key (kid) while its issuer publishes several for its alg' });
    expect((await connectSocket(nodes[1].url, { token: await provider.sign('RS256-1', {}, { kid: false }) })).connected).toBe(true);
  });

  it('refuses to start when the discovery document names another issuer, naming the entry', async () => {
    const liar = await TestTokenIssuer.start({ documentIssuer: 'https://someone-else.example.com' });
    try {
      const attempt = createSessionwire({
        redis: redis.url,
        allowedOrigins: [TEST_ORIGIN],
        oidcIssuers: [{ name: 'liar', issuer: liar.issuer, audience: 'api' }],
        oidcKeys: { waitMs: 300 },
        logger: silent,
      });
      await expect(attempt).rejects.toThrow(JwksUnavailableError);
      await expect(attempt).rejects.toThrow(/oidcIssuers\.0 \(liar\).*names issuer https:\/\/someone-else\.example\.com/);
      expect(liar.jwksRequests).toBe(0);
    } finally {
      await liar.close();
    }
  });

  it("starts while a provider is down: that provider's tokens are refused with UNAVAILABLE until its keys load in the background, the others' are accepted", async () => {
    const down = await TestTokenIssuer.start();
    await down.publish('ES256', 'down-1');
    down.down = true;
    const node = await startNode('oidc-down', {
      oidcIssuers: [entry, { name: 'down-idp', issuer: down.issuer, audience: 'api' }],
      oidcKeys: { cooldownMs: 1, waitMs: 300 },
    });
    try {
      expect(node.wire.status().oidcIssuersWithoutKeys).toEqual(['down-idp']);
      expect(node.wire.ready()).toBe(true);
      expect((await connectSocket(node.url, { token: await provider.sign('ES256-1', { sub: 'up-user' }) })).connected).toBe(true);
      const refused = await connectError(node.url, { token: await down.sign('down-1') });
      expect(refused.data).toEqual({ code: 'UNAVAILABLE', message: 'The keys of issuer down-idp are not loaded yet; retry shortly' });

      down.down = false;
      await eventually(() => expect(node.wire.status().oidcIssuersWithoutKeys).toEqual([]), 20_000);
      expect((await connectSocket(node.url, { token: await down.sign('down-1') })).connected).toBe(true);
    } finally {
      await stopNode(node);
      await down.close();
    }
  });

  it('after a failed JWKS fetch, lookups fetch nothing for the cooldown: forged kids cost the provider one request, known keys still verify', async () => {
    const flaky = await TestTokenIssuer.start();
    await flaky.publish('ES256', 'flaky-1');
    const node = await startNode('oidc-flaky', { oidcIssuers: [{ name: 'flaky-idp', issuer: flaky.issuer, audience: 'api' }], oidcKeys: { cooldownMs: 4000, waitMs: 5000 } });
    try {
      flaky.down = true;
      const forged = async () => {
        const token = await flaky.sign('flaky-1');
        const [header, payload, signature] = token.split('.');
        const withKid = `${base64url({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), kid: `forged-${randomUUID()}` })}.${payload}.${signature}`;
        return (await connectError(node.url, { token: withKid })).data?.code;
      };
      // Once jose's cooldown after the start's fetch is over, a forged kid makes it fetch: that fetch fails.
      const before = flaky.jwksRequests;
      await eventually(async () => {
        expect(await forged()).toBe('UNAUTHORIZED');
        expect(flaky.jwksRequests).toBeGreaterThan(before);
      }, 15_000);
      const afterFailure = flaky.jwksRequests;
      for (let attempt = 0; attempt < 10; attempt++) expect(await forged()).toBe('UNAUTHORIZED');
      expect((await connectSocket(node.url, { token: await flaky.sign('flaky-1') })).connected).toBe(true);
      expect(flaky.jwksRequests).toBe(afterFailure);
    } finally {
      await stopNode(node);
      await flaky.close();
    }
  });

  it('a discovery document or JWKS over 256 KiB is not read: that issuer stays without keys', async () => {
    const bigDocument = await TestTokenIssuer.start();
    const bigJwks = await TestTokenIssuer.start();
    await bigDocument.publish('ES256', 'doc-1');
    await bigJwks.publish('ES256', 'jwks-1');
    bigDocument.padding = { document: 300 * 1024 };
    bigJwks.padding = { jwks: 300 * 1024 };
    const node = await startNode('oidc-oversized', {
      oidcIssuers: [
        { name: 'big-document', issuer: bigDocument.issuer, audience: 'api' },
        { name: 'big-jwks', issuer: bigJwks.issuer, audience: 'api' },
      ],
      oidcKeys: { cooldownMs: 1, waitMs: 300 },
    });
    try {
      expect(node.wire.status().oidcIssuersWithoutKeys).toEqual(['big-document', 'big-jwks']);
      expect((await connectError(node.url, { token: await bigJwks.sign('jwks-1') })).data?.code).toBe('UNAVAILABLE');
      // Within the limit again, the keys load.
      bigDocument.padding = {};
      bigJwks.padding = { jwks: 200 * 1024 };
      await eventually(() => expect(node.wire.status().oidcIssuersWithoutKeys).toEqual([]), 20_000);
    } finally {
      await stopNode(node);
      await bigDocument.close();
      await bigJwks.close();
    }
  });

  it('the per-user limit counts the sockets of an external user across nodes and sessions', async () => {
    for (const [index, node] of [nodes[0], nodes[1], nodes[0], nodes[1]].entries()) {
      await connectSocket(node.url, { token: await provider.sign('ES256-1', { sub: 'gina', sid: `gina-${index % 2}` }) });
    }
    const refused = await connectError(nodes[0].url, { token: await provider.sign('RS256-1', { sub: 'gina', sid: 'gina-2' }) });
    expect(refused.data?.code).toBe('TOO_MANY_CONNECTIONS');
  });

  it('a token of an ended session evicts no one: with evict_oldest, the live socket keeps its registry entries', async () => {
    const node = await startNode('oidc-evict', { connectionLimit: { perUser: 1, policy: 'evict_oldest' } });
    try {
      const live = await connectSocket(node.url, { token: await provider.sign('ES256-1', { sub: 'erin', sid: 'erin-a' }) });
      const userId = externalUserId(provider.issuer, 'erin');
      await commands.set(redisKeys.externalSessionEnded(externalSessionId(provider.issuer, 'erin-b')), Date.now(), 'EX', 660);
      expect((await connectError(node.url, { token: await provider.sign('ES256-1', { sub: 'erin', sid: 'erin-b' }) })).data?.code).toBe('SESSION_REVOKED');
      expect(live.connected).toBe(true);
      // The refused socket's own entry goes on the next turn: wait for that, then the live one must be there.
      await eventually(async () => expect(Object.keys(await commands.hgetall(redisKeys.userSockets(userId)))).toEqual([live.id]));
      expect(Object.keys(await commands.hgetall(redisKeys.nodeSockets('oidc-evict')))).toEqual([live.id]);
    } finally {
      await stopNode(node);
    }
  });

  it('warns before the token expires and ends the socket at exp', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    // Recorded from the start: the warning is due at once (exp is inside the warning window), so it may arrive in the
    // same read as the connect.
    const events: ReceivedEvent[] = [];
    const client = await connectSocket(nodes[1].url, { token: await provider.sign('EdDSA-1', { sub: 'hank', exp }), recordInto: events });
    await disconnected(client, 10_000);
    expect(events).toEqual([
      { event: 'auth:expiring', payload: { exp } },
      { event: 'session:ended', payload: { reason: 'expired', sessionId: externalSessionId(provider.issuer, 'session-a') } },
    ]);
  });

  it('auth:refresh takes a new token of the same provider session, and refuses one of another session', async () => {
    const client = await connectSocket(nodes[0].url, { token: await provider.sign('RS256-1', { sub: 'refresher', sid: 'refresh-a' }) });
    const exp = Math.floor(Date.now() / 1000) + 500;
    const renewed = await client.emitWithAck('auth:refresh', { token: await provider.sign('ES256-1', { sub: 'refresher', sid: 'refresh-a', exp }) });
    expect(renewed).toEqual({ ok: true, exp });
    expect(serverSocketOf(client).data.credentialExpiresAt).toBe(exp * 1000);
    const otherSession = await client.emitWithAck('auth:refresh', { token: await provider.sign('ES256-1', { sub: 'refresher', sid: 'refresh-b' }) });
    expect(otherSession).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const otherIssuer = await client.emitWithAck('auth:refresh', { token: await provider.sign('ES256-1', { sub: 'refresher', sid: 'refresh-a', iss: 'https://evil.example.com' }) });
    expect(otherIssuer).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });

    // The provider session ends, and the message is lost: only the record tells. A fresh token of it is refused in-band
    // and at the handshake.
    await commands.set(redisKeys.externalSessionEnded(externalSessionId(provider.issuer, 'refresh-a')), Date.now(), 'EX', 660);
    const fresh = await provider.sign('ES256-1', { sub: 'refresher', sid: 'refresh-a' });
    expect(await client.emitWithAck('auth:refresh', { token: fresh })).toMatchObject({ ok: false, error: { code: 'SESSION_REVOKED' } });
    expect((await connectError(nodes[0].url, { token: fresh })).data?.code).toBe('SESSION_REVOKED');
  });

  it('a token refused because its session ended keeps the records of that end until it expires (handshake, auth:refresh)', async () => {
    // Tokens the provider mints after the end (from a refresh token it did not revoke) may outlive the records' TTL.
    const exp = Math.floor(Date.now() / 1000) + 500;
    const expiryOf = (key: string) => commands.call('PEXPIRETIME', key);
    const sessionKey = redisKeys.externalSessionEnded(externalSessionId(provider.issuer, 'late-a'));
    await commands.set(sessionKey, Date.now(), 'PX', 60_000);
    expect((await connectError(nodes[0].url, { token: await provider.sign('ES256-1', { sub: 'late', sid: 'late-a', exp }) })).data?.code).toBe('SESSION_REVOKED');
    expect(await expiryOf(sessionKey)).toBe((exp + 5) * 1000);

    const userKey = redisKeys.externalUserEndedBefore(externalUserId(provider.issuer, 'late'));
    const endedAt = Date.now();
    await commands.set(userKey, endedAt, 'PX', 60_000);
    const startedBefore = Math.floor(endedAt / 1000) - 10;
    const userToken = await provider.sign('RS256-1', { sub: 'late', sid: 'late-b', auth_time: startedBefore, exp });
    expect((await connectError(nodes[1].url, { token: userToken })).data?.code).toBe('SESSION_REVOKED');
    expect(await expiryOf(userKey)).toBe((exp + 5) * 1000);

    const client = await connectSocket(nodes[0].url, { token: await provider.sign('ES256-1', { sub: 'later', sid: 'late-c' }) });
    const refreshKey = redisKeys.externalSessionEnded(externalSessionId(provider.issuer, 'late-c'));
    await commands.set(refreshKey, Date.now(), 'PX', 60_000);
    const refreshed = await client.emitWithAck('auth:refresh', { token: await provider.sign('ES256-1', { sub: 'later', sid: 'late-c', exp: exp + 1 }) });
    expect(refreshed).toMatchObject({ ok: false, error: { code: 'SESSION_REVOKED' } });
    expect(await expiryOf(refreshKey)).toBe((exp + 6) * 1000);
    // Never shortened: an older token refused later leaves the longer life as it is.
    expect((await connectError(nodes[0].url, { token: await provider.sign('ES256-1', { sub: 'late', sid: 'late-a', exp: exp - 100 }) })).data?.code).toBe('SESSION_REVOKED');
    expect(await expiryOf(sessionKey)).toBe((exp + 5) * 1000);
  });

  it("the provider's end of a session closes its sockets on every node with provider_logout; another session stays; a subject-only end closes the rest; old tokens cannot come back", async () => {
    const tokenA = await provider.sign('ES256-1', { sub: 'bob', sid: 'bob-a' });
    const tokenB = await provider.sign('RS256-1', { sub: 'bob', sid: 'bob-b' });
    const a1 = await connectSocket(nodes[0].url, { token: tokenA });
    const a2 = await connectSocket(nodes[1].url, { token: tokenA });
    const b1 = await connectSocket(nodes[0].url, { token: tokenB });
    const b2 = await connectSocket(nodes[1].url, { token: tokenB });
    // A socket of the same provider session under another sub (pairwise subjects) ends with it, as its handshakes are refused.
    const pairwise = await connectSocket(nodes[1].url, { token: await provider.sign('ES256-1', { sub: 'bob-pairwise', sid: 'bob-a' }) });
    const carol = await connectSocket(nodes[1].url, { token: await provider.sign('ES256-1', { sub: 'carol', sid: 'carol-a' }) });

    const endedA = [nextEvent(a1, 'session:ended'), nextEvent(a2, 'session:ended'), nextEvent(pairwise, 'session:ended')];
    const goneA = [disconnected(a1), disconnected(a2), disconnected(pairwise)];
    const sessionEnd = await endAtProvider({ subject: 'bob', providerSessionId: 'bob-a' });
    const sessionA = externalSessionId(provider.issuer, 'bob-a');
    expect(await Promise.all(endedA)).toEqual([
      { reason: 'provider_logout', sessionId: sessionA },
      { reason: 'provider_logout', sessionId: sessionA },
      { reason: 'provider_logout', sessionId: sessionA },
    ]);
    await Promise.all(goneA);
    expect(await closedByEveryNode(sessionEnd.id)).toEqual([1, 2]);
    expect([b1.connected, b2.connected, carol.connected]).toEqual([true, true, true]);
    expect((await connectError(nodes[0].url, { token: tokenA })).data?.code).toBe('SESSION_REVOKED');
    expect((await connectError(nodes[1].url, { token: await provider.sign('RS256-1', { sub: 'bob', sid: 'bob-a' }) })).data?.code).toBe('SESSION_REVOKED');

    const endedB = [nextEvent(b1, 'session:ended'), nextEvent(b2, 'session:ended')];
    const userEnd = await endAtProvider({ subject: 'bob', providerSessionId: null });
    expect((await Promise.all(endedB)).map((payload) => payload.reason)).toEqual(['provider_logout', 'provider_logout']);
    expect(await closedByEveryNode(userEnd.id)).toEqual([1, 1]);
    expect(carol.connected).toBe(true);
    expect((await connectError(nodes[1].url, { token: tokenB })).data?.code).toBe('SESSION_REVOKED');
    // A session that starts after the end is not covered by it.
    const later = Math.floor(userEnd.at / 1000) + 1;
    expect((await connectSocket(nodes[0].url, { token: await provider.sign('ES256-1', { sub: 'bob', sid: 'bob-c', auth_time: later, iat: later }) })).connected).toBe(true);
  });

  // Last: its node would acknowledge the messages of the tests above too.
  it('the periodic re-check closes the sockets of provider sessions whose end is recorded but whose message was lost', async () => {
    const node = await startNode('oidc-recheck', { recheckIntervalSeconds: 0.2 });
    const daveExp = Math.floor(Date.now() / 1000) + 400;
    const first = await connectSocket(node.url, { token: await provider.sign('ES256-1', { sub: 'dave', sid: 'dave-a', exp: daveExp }) });
    const second = await connectSocket(node.url, { token: await provider.sign('EdDSA-1', { sub: 'dave', sid: 'dave-b' }) });
    const firstEnded = nextEvent(first, 'session:ended', 10_000);
    const firstRecord = redisKeys.externalSessionEnded(externalSessionId(provider.issuer, 'dave-a'));
    await commands.set(firstRecord, Date.now(), 'PX', 60_000);
    expect(await firstEnded).toEqual({ reason: 'provider_logout', sessionId: externalSessionId(provider.issuer, 'dave-a') });
    // The record of the end now outlives the closed socket's token.
    await eventually(async () => expect(await commands.call('PEXPIRETIME', firstRecord)).toBe(daveExp * 1000 + 5000));
    expect(second.connected).toBe(true);
    const secondEnded = nextEvent(second, 'session:ended', 10_000);
    await commands.set(redisKeys.externalUserEndedBefore(externalUserId(provider.issuer, 'dave')), Date.now(), 'EX', 660);
    expect((await secondEnded).reason).toBe('provider_logout');
  });
});

/**
 * The admission of an external provider's socket on a Redis Cluster: its script declares the user's sockets and the
 * user's ended-before time (one slot, `{userId}`), the provider session's own end is read beside it (another slot).
 */
describe('@sessionwire/server with external OpenID Providers on a Redis Cluster', () => {
  let redisCluster: RedisClusterServer;
  let client: Redis | Cluster;
  let provider: TestTokenIssuer;
  let wire: Sessionwire;
  let io: Server;
  let url: string;

  beforeAll(async () => {
    redisCluster = await startRedisCluster();
    client = redisCluster.client();
    provider = await TestTokenIssuer.start();
    await provider.publish('ES256', 'es-1');
    wire = await createSessionwire({
      redis: client,
      nodeId: 'oidc-cluster-1',
      allowedOrigins: [TEST_ORIGIN],
      oidcIssuers: [{ name: 'test-idp', issuer: provider.issuer, audience: 'api' }],
      logger: silent,
    });
    const httpServer = createServer();
    io = new Server(httpServer);
    wire.attach(io);
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });

  afterEach(() => closeAllSockets());

  afterAll(async () => {
    await wire?.close();
    await io?.close();
    await client?.quit();
    await provider?.close();
    await redisCluster?.cleanup();
  });

  it("admits a provider's sockets, and refuses them once their session's or their user's end is recorded", async () => {
    const first = await provider.sign('es-1', { sub: 'ivy', sid: 'ivy-1' });
    const second = await provider.sign('es-1', { sub: 'ivy', sid: 'ivy-2' });
    const socket = await connectSocket(url, { token: first });
    const ended = nextEvent(socket, 'session:ended');
    const sessionEnd = createExternalUserLoggedOut(provider.issuer, { subject: 'ivy', providerSessionId: 'ivy-1' }, 'provider_logout');
    await client.set(redisKeys.externalSessionEnded(externalSessionId(provider.issuer, 'ivy-1')), sessionEnd.at, 'EX', 3660);
    await client.publish(USER_LOGGED_OUT_CHANNEL, JSON.stringify(sessionEnd));
    expect((await ended).reason).toBe('provider_logout');
    expect((await connectError(url, { token: first })).data?.code).toBe('SESSION_REVOKED');
    expect((await connectSocket(url, { token: second })).connected).toBe(true);

    await client.set(redisKeys.externalUserEndedBefore(externalUserId(provider.issuer, 'ivy')), Date.now(), 'EX', 3660);
    expect((await connectError(url, { token: second })).data?.code).toBe('SESSION_REVOKED');
  });
});
