import type { HandshakeErrorCode } from '@app/contracts';
import { redisKeys } from '@app/contracts';
import { createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Redis } from 'ioredis';
import { SignJWT, type JWTPayload } from 'jose';
import { closeAllClients, nextClientEvent, recordClientEvents, sdkClient, whoami } from '../support/client';
import { startCluster, TEST_ORIGIN, type Cluster, type GatewayNode } from '../support/cluster';
import { eventually } from '../support/eventually';
import { bearer, connectionsOf as connectionsOfUser, login, registerUser, request, type LoggedIn } from '../support/http';
import { MetricsScrape } from '../support/metrics';
import { startNginx, type Nginx } from '../support/nginx';
import { closeAllRawSocketIo, openRawSocketIo } from '../support/raw-socket-io';
import { closeAllSockets, connectError, connectSocket, type ConnectOptions } from '../support/sockets';

const FOREIGN_ORIGIN = 'https://evil.example';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The claims the auth service puts in an access token for `session`, with `overrides`. */
function tokenClaims(session: LoggedIn, overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: session.user.id,
    sid: session.sessionId,
    roles: ['user'],
    jti: randomUUID(),
    iss: 'sessionwire-auth',
    aud: 'sessionwire',
    iat: now,
    nbf: now,
    exp: now + 300,
    ...overrides,
  };
}

/** Timestamps of a token that expired a minute ago. */
function expired(): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { iat: now - 600, nbf: now - 600, exp: now - 60 };
}

function signToken(key: KeyObject, kid: string, payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(key);
}

/** A raw WebSocket upgrade request; resolves with the answer's status, headers and (when not 101) body. */
function upgradeAnswer(url: string, origin: string): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/socket.io/?EIO=4&transport=websocket`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-version': '13',
        origin,
      },
    });
    req.once('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: '', headers: response.headers });
    });
    req.once('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('gateway handshake: origin allowlist, credentials, refusals with stable codes', () => {
  let cluster: Cluster;
  let queryTokenGateway: GatewayNode;
  let limitedGateway: GatewayNode;
  let shortWindowGateway: GatewayNode;
  let admin: LoggedIn;
  let realKey: KeyObject;
  let realKid: string;
  let counter = 0;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 2 });
    queryTokenGateway = await cluster.startGateway('gw-query', { ALLOW_QUERY_TOKEN: 'true' });
    limitedGateway = await cluster.startGateway('gw-limited', { HANDSHAKE_LIMIT_PER_IP: '3', HANDSHAKE_LIMIT_WINDOW: '60' });
    shortWindowGateway = await cluster.startGateway('gw-short-window', { HANDSHAKE_LIMIT_PER_IP: '2', HANDSHAKE_LIMIT_WINDOW: '3' });
    admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
    realKey = createPrivateKey(await readFile(cluster.signingKeyFile, 'utf8'));
    const jwks = await request<{ keys: Array<{ kid: string }> }>(cluster.authUrl, 'GET', '/.well-known/jwks.json');
    realKid = jwks.body.keys[0].kid;
  }, 60_000);

  afterEach(() => {
    closeAllSockets();
    closeAllClients();
    closeAllRawSocketIo();
  });
  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  const gateway = (index: number) => cluster.gateways[index];

  async function newUser(): Promise<LoggedIn> {
    const username = `hs-user-${++counter}`;
    await registerUser(cluster.authUrl, username);
    return login(cluster.authUrl, username);
  }

  const connectionsOf = (userId: string) => connectionsOfUser(cluster.authUrl, admin, userId);

  const whoamiUserId = async (url: string, options: ConnectOptions) => {
    const socket = await connectSocket(url, options);
    const reply = await socket.emitWithAck('whoami');
    return reply.ok ? reply.userId : reply.error.code;
  };

  async function expectRefused(url: string, options: ConnectOptions, code: HandshakeErrorCode): Promise<void> {
    const error = await connectError(url, options);
    expect({ message: error.message, data: error.data }).toEqual({ message: code, data: { code, message: expect.any(String) } });
  }

  describe('Origin allowlist (CSWSH), before any upgrade', () => {
    it('polling: a foreign Origin gets 403 ORIGIN_NOT_ALLOWED and no CORS grant; the allowed one opens a session', async () => {
      const refused = await fetch(`${gateway(0).url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: FOREIGN_ORIGIN } });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ message: 'ORIGIN_NOT_ALLOWED' });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();

      const allowed = await fetch(`${gateway(0).url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: TEST_ORIGIN } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN);
      // The engine.io open packet: "0" then the handshake JSON with the new session id.
      const open = await allowed.text();
      expect(open[0]).toBe('0');
      expect(JSON.parse(open.slice(1))).toMatchObject({ sid: expect.any(String) });
    });

    it('websocket: the upgrade from a foreign Origin is answered 400 ORIGIN_NOT_ALLOWED', async () => {
      expect(await upgradeAnswer(gateway(1).url, FOREIGN_ORIGIN)).toMatchObject({ status: 400, body: 'ORIGIN_NOT_ALLOWED' });
    });

    it('websocket: the upgrade from the allowed Origin is answered 101 with no CORS headers (browsers apply none to WebSockets)', async () => {
      const { status, headers } = await upgradeAnswer(gateway(1).url, TEST_ORIGIN);
      expect(status).toBe(101);
      expect(Object.keys(headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    });

    it('a foreign page cannot open a socket with the victim’s cookie or token, over either transport', async () => {
      const victim = await newUser();
      for (const transport of ['websocket', 'polling'] as const) {
        const byCookie = await connectError(gateway(0).url, { transport, origin: FOREIGN_ORIGIN, cookie: victim.cookie });
        expect(byCookie.message).toBe(transport === 'websocket' ? 'websocket error' : 'xhr poll error');
        const byToken = await connectError(gateway(1).url, { transport, origin: FOREIGN_ORIGIN, token: victim.accessToken });
        expect(byToken.message).toBe(transport === 'websocket' ? 'websocket error' : 'xhr poll error');
        // The same credentials from the allowed origin connect: the Origin alone made the difference.
        expect(await whoamiUserId(gateway(0).url, { transport, cookie: victim.cookie })).toBe(victim.user.id);
      }
    });
  });

  describe('credentials', () => {
    it('accepts auth.token, an Authorization: Bearer header and the session cookie', async () => {
      const alice = await newUser();
      expect(await whoamiUserId(gateway(0).url, { token: alice.accessToken })).toBe(alice.user.id);
      expect(await whoamiUserId(gateway(0).url, { headers: bearer(alice.accessToken) })).toBe(alice.user.id);
      expect(await whoamiUserId(gateway(1).url, { cookie: alice.cookie })).toBe(alice.user.id);
      expect(await whoamiUserId(gateway(1).url, { transport: 'polling', token: alice.accessToken })).toBe(alice.user.id);
    });

    it('takes them in order auth.token, Authorization, cookie; a bad one is not rescued by the next', async () => {
      const alice = await newUser();
      const bob = await newUser();
      expect(await whoamiUserId(gateway(0).url, { token: alice.accessToken, headers: bearer(bob.accessToken), cookie: bob.cookie })).toBe(alice.user.id);
      expect(await whoamiUserId(gateway(0).url, { headers: bearer(bob.accessToken), cookie: alice.cookie })).toBe(bob.user.id);
      await expectRefused(gateway(1).url, { token: 'not-a-jwt', cookie: alice.cookie }, 'UNAUTHORIZED');
      await expectRefused(gateway(1).url, { headers: { authorization: 'Bearer not-a-jwt' }, cookie: alice.cookie }, 'UNAUTHORIZED');
    });

    it('refuses ?token= by default and accepts it only on a gateway started with ALLOW_QUERY_TOKEN=true', async () => {
      const alice = await newUser();
      await expectRefused(gateway(0).url, { query: { token: alice.accessToken } }, 'UNAUTHORIZED');
      expect(await whoamiUserId(queryTokenGateway.url, { query: { token: alice.accessToken } })).toBe(alice.user.id);
      // Even where enabled, a query token is only the last resort.
      const bob = await newUser();
      expect(await whoamiUserId(queryTokenGateway.url, { cookie: bob.cookie, query: { token: alice.accessToken } })).toBe(bob.user.id);
    });
  });

  describe('Sec-WebSocket-Protocol carrier (sessionwire.v1 + sessionwire.bearer.<token>)', () => {
    let loggingGateway: GatewayNode;
    let nginx: Nginx;
    const offered = (token: string) => ['sessionwire.v1', `sessionwire.bearer.${token}`];
    /** Every token handed to a gateway in this block, to be found in no log. */
    const carried: string[] = [];
    const carry = (token: string) => {
      carried.push(token);
      return offered(token);
    };

    beforeAll(async () => {
      loggingGateway = await cluster.startGateway('gw-subprotocol', { LOG_LEVEL: 'debug' });
      nginx = await startNginx({ authUrl: cluster.authUrl, gateways: [loggingGateway] });
    }, 60_000);
    afterAll(async () => {
      await nginx?.stop();
    });

    it('the official client with transports [websocket] and protocols connects with no auth payload and no headers', async () => {
      const alice = await newUser();
      const socket = await connectSocket(loggingGateway.url, { protocols: carry(alice.accessToken) });
      expect(await socket.emitWithAck('whoami')).toMatchObject({ ok: true, userId: alice.user.id, sessionId: alice.sessionId });
    });

    it('a raw ws client speaking Engine.IO/Socket.IO v4 gets its connect ack; the 101 names only sessionwire.v1, whatever the order', async () => {
      const alice = await newUser();
      for (const protocols of [carry(alice.accessToken), [...carry(alice.accessToken)].reverse()]) {
        const raw = await openRawSocketIo(loggingGateway.url, protocols);
        expect(raw.selectedProtocol).toBe('sessionwire.v1');
        expect(await raw.connect()).toEqual({ type: 'connect', sid: expect.any(String) });
        expect(await raw.emitWithAck('whoami')).toMatchObject({ ok: true, userId: alice.user.id });
        raw.close();
      }
    });

    it('never selects a token-carrying protocol, even one offered without sessionwire.v1 (which is refused)', async () => {
      const alice = await newUser();
      const raw = await openRawSocketIo(loggingGateway.url, [`sessionwire.bearer.${alice.accessToken}`, 'chat']);
      carried.push(alice.accessToken);
      expect(raw.selectedProtocol).toBe('chat');
      expect(await raw.connect()).toMatchObject({ type: 'connect_error', data: { message: 'UNAUTHORIZED', data: { code: 'UNAUTHORIZED' } } });
    });

    it('a bad, an expired and a revoked session’s token are refused UNAUTHORIZED, TOKEN_EXPIRED, SESSION_REVOKED', async () => {
      const alice = await newUser();
      await expectRefused(loggingGateway.url, { protocols: carry('garbage.garbage.garbage') }, 'UNAUTHORIZED');
      await expectRefused(loggingGateway.url, { protocols: carry(await signToken(realKey, realKid, tokenClaims(alice, expired()))) }, 'TOKEN_EXPIRED');
      expect((await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(alice.accessToken) })).status).toBe(204);
      await expectRefused(loggingGateway.url, { protocols: carry(alice.accessToken) }, 'SESSION_REVOKED');
      const raw = await openRawSocketIo(loggingGateway.url, carry(alice.accessToken));
      expect(await raw.connect()).toMatchObject({ type: 'connect_error', data: { message: 'SESSION_REVOKED' } });
    });

    it('comes after auth.token and Authorization, before the cookie; a bad one is not rescued by another carrier', async () => {
      const alice = await newUser();
      const bob = await newUser();
      expect(await whoamiUserId(loggingGateway.url, { token: alice.accessToken, protocols: carry(bob.accessToken) })).toBe(alice.user.id);
      expect(await whoamiUserId(loggingGateway.url, { headers: bearer(alice.accessToken), protocols: carry(bob.accessToken) })).toBe(alice.user.id);
      expect(await whoamiUserId(loggingGateway.url, { protocols: carry(alice.accessToken), cookie: bob.cookie })).toBe(alice.user.id);
      await expectRefused(loggingGateway.url, { token: 'not-a-jwt', protocols: carry(alice.accessToken) }, 'UNAUTHORIZED');
      await expectRefused(loggingGateway.url, { protocols: carry('not-a-jwt-offered-as-protocol'), cookie: alice.cookie }, 'UNAUTHORIZED');
      await expectRefused(loggingGateway.url, { protocols: [...carry(alice.accessToken), `sessionwire.bearer.${bob.accessToken}`] }, 'UNAUTHORIZED');
    });

    it('is ignored on a polling connection, where a browser cannot send it', async () => {
      const alice = await newUser();
      const handshake = async (headers: Record<string, string>) => {
        const open = await fetch(`${loggingGateway.url}/socket.io/?EIO=4&transport=polling`, { headers });
        const { sid } = JSON.parse((await open.text()).slice(1)) as { sid: string };
        const poll = `${loggingGateway.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
        expect((await fetch(poll, { method: 'POST', body: '40', headers })).status).toBe(200);
        return (await fetch(poll, { headers })).text();
      };
      expect(await handshake({ 'sec-websocket-protocol': carry(alice.accessToken).join(', ') })).toMatch(/^44\{"message":"UNAUTHORIZED"/);
      // The same exchange with a carrier polling has does connect: only the carrier made the difference.
      expect(await handshake(bearer(alice.accessToken))).toMatch(/^40\{"sid":/);
    });

    it('works through nginx: the official client connects, the 101 names only sessionwire.v1', async () => {
      const alice = await newUser();
      const socket = await connectSocket(nginx.url, { protocols: carry(alice.accessToken) });
      expect(await socket.emitWithAck('whoami')).toMatchObject({ ok: true, userId: alice.user.id });
      const raw = await openRawSocketIo(nginx.url, [...carry(alice.accessToken)].reverse());
      expect(raw.selectedProtocol).toBe('sessionwire.v1');
      expect(await raw.connect()).toMatchObject({ type: 'connect' });
    });

    it('no token it carried is in the gateway’s log (debug level) or nginx’s access log', async () => {
      expect(carried.length).toBeGreaterThan(10);
      const gatewayLog = loggingGateway.process.logs();
      expect(gatewayLog).toMatch(/Handshake refused/);
      // nginx writes a WebSocket's line when it closes, which the previous test's sockets do as it ends.
      const accessLog = await eventually(async () => {
        const log = await nginx.accessLog();
        expect(log).toMatch(/socket\.io/);
        return log;
      });
      for (const token of carried) {
        expect(gatewayLog).not.toContain(token);
        expect(accessLog).not.toContain(token);
      }
    });
  });

  describe('token attacks over auth.token', () => {
    let victim: LoggedIn;
    let otherKey: KeyObject;

    beforeAll(async () => {
      victim = await newUser();
      otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    });

    const claims = (overrides: JWTPayload = {}) => tokenClaims(victim, overrides);
    const sign = (key: KeyObject, payload: JWTPayload) => signToken(key, realKid, payload);

    type Attack = { label: string; auth: () => Promise<Record<string, unknown>>; code: HandshakeErrorCode };
    const attack = (label: string, auth: Attack['auth'], code: HandshakeErrorCode = 'UNAUTHORIZED'): Attack => ({ label, auth, code });
    const attacks: Attack[] = [
      attack('alg none, no signature', async () => ({ token: `${base64url({ alg: 'none', typ: 'at+jwt', kid: realKid })}.${base64url(claims())}.` })),
      attack('ES256 from another key claiming the real kid', async () => ({ token: await sign(otherKey, claims()) })),
      attack('expired, signed with the real key', async () => ({ token: await sign(realKey, claims(expired())) }), 'TOKEN_EXPIRED'),
      attack('wrong aud, signed with the real key', async () => ({ token: await sign(realKey, claims({ aud: 'some-other-service' })) })),
      attack('wrong iss, signed with the real key', async () => ({ token: await sign(realKey, claims({ iss: 'someone-else' })) })),
      attack('garbage', async () => ({ token: 'garbage.garbage.garbage' })),
      attack('missing credentials', async () => ({})),
      attack('a refresh token', async () => ({ token: victim.refreshToken })),
      attack('a bare session id', async () => ({ token: victim.sessionId })),
      attack('the session cookie value', async () => ({ token: victim.cookie.split('=')[1] })),
      attack('a number', async () => ({ token: 12345 })),
      attack('an object', async () => ({ token: { sub: victim.user.id } })),
      attack('an empty string', async () => ({ token: '' })),
    ];

    it.each(attacks)('refuses $label with $code on every node', async ({ auth, code }) => {
      for (const node of cluster.gateways) await expectRefused(node.url, { auth: await auth() }, code);
    });

    it('after the attacks every node is healthy and the registry holds nothing of the victim', async () => {
      for (const node of [...cluster.gateways, queryTokenGateway, limitedGateway]) {
        expect((await request(node.url, 'GET', '/health')).status).toBe(200);
      }
      expect(await connectionsOf(victim.user.id)).toEqual([]);
      const redis = new Redis(cluster.redis.url);
      try {
        for (const node of cluster.gateways) {
          const entries = await redis.hvals(redisKeys.nodeSockets(node.nodeId));
          expect(entries.filter((entry) => entry.includes(victim.user.id))).toEqual([]);
        }
      } finally {
        await redis.quit();
      }
    });

    it('accepts and registers a token minted in the test with the real key: each attack broke only what it names', async () => {
      const socket = await connectSocket(gateway(0).url, { token: await sign(realKey, claims()) });
      expect(await socket.emitWithAck('whoami')).toMatchObject({ ok: true, userId: victim.user.id, sessionId: victim.sessionId });
      expect((await connectionsOf(victim.user.id)).map((connection) => connection.socketId)).toEqual([socket.id]);
    });
  });

  it('limits handshakes per IP: with HANDSHAKE_LIMIT_PER_IP=3 the 4th is RATE_LIMITED and writes nothing', async () => {
    const alice = await newUser();
    const accepted = await Promise.all([1, 2, 3].map(() => connectSocket(limitedGateway.url, { token: alice.accessToken })));
    await expectRefused(limitedGateway.url, { token: alice.accessToken }, 'RATE_LIMITED');
    expect((await connectionsOf(alice.user.id)).map((connection) => connection.socketId).sort()).toEqual(accepted.map((socket) => socket.id).sort());
    // The limit is this node's: the others still admit the same client.
    expect(await whoamiUserId(gateway(0).url, { token: alice.accessToken })).toBe(alice.user.id);
  });

  it('the SDK retries a RATE_LIMITED handshake with backoff, without signing out, and connects once the window has passed', async () => {
    const alice = await newUser();
    await Promise.all([1, 2].map(() => connectSocket(shortWindowGateway.url, { token: alice.accessToken })));
    const client = sdkClient({ url: shortWindowGateway.url, credentials: 'token', accessToken: alice.accessToken, refreshToken: alice.refreshToken });
    const events = recordClientEvents(client);

    // The 3-second window began with the first of the two sockets above, so the SDK's first attempt is refused.
    expect(await nextClientEvent(client, 'reconnecting')).toEqual({ attempt: 1 });
    await eventually(() => expect(client.state).toBe('connected'), 10_000);
    expect(events.map(({ event }) => event)).not.toContain('signedOut');
    expect((await whoami(client)).sessionId).toBe(alice.sessionId);
  });

  it('GET /health reports the node, Redis, the subscriber and its sockets', async () => {
    const alice = await newUser();
    await connectSocket(gateway(1).url, { token: alice.accessToken });
    const health = await request<{ connections: number }>(gateway(1).url, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', nodeId: 'gw-2', redis: 'ready', subscriber: 'ready', connections: expect.any(Number) });
    expect(health.body.connections).toBeGreaterThanOrEqual(1);
  });

  it('/metrics counts handshakes and times them by result: accepted and the refusal code', async () => {
    expect((await fetch(`${gateway(1).url}/metrics`)).headers.get('content-type')).toMatch(/^text\/plain/);
    const results = ['accepted', 'TOKEN_EXPIRED', 'UNAUTHORIZED'];
    const counts = async () => {
      const scrape = await MetricsScrape.of(gateway(1).url);
      return Object.fromEntries(
        results.map((result) => [
          result,
          {
            handshakes: scrape.value('sessionwire_gateway_handshakes_total', { result }),
            timed: scrape.value('sessionwire_gateway_handshake_duration_seconds_count', { result }),
          },
        ]),
      );
    };
    const alice = await newUser();
    const before = await counts();

    await connectSocket(gateway(1).url, { token: alice.accessToken });
    await expectRefused(gateway(1).url, { token: 'garbage' }, 'UNAUTHORIZED');
    await expectRefused(gateway(1).url, {}, 'UNAUTHORIZED');
    await expectRefused(gateway(1).url, { token: await signToken(realKey, realKid, tokenClaims(alice, expired())) }, 'TOKEN_EXPIRED');

    const moved = { accepted: 1, TOKEN_EXPIRED: 1, UNAUTHORIZED: 2 } as Record<string, number>;
    expect(await counts()).toEqual(
      Object.fromEntries(results.map((result) => [result, { handshakes: before[result].handshakes + moved[result], timed: before[result].timed + moved[result] }])),
    );
  });

  it('/metrics times the HTTP routes by template, method and status class; an unknown path is `unmatched`, never its URL', async () => {
    const series = { route: '/health/live', method: 'GET', status_class: '2xx' };
    const unmatched = { route: 'unmatched', method: 'GET', status_class: '4xx' };
    const name = 'sessionwire_http_request_duration_seconds_count';
    const before = await MetricsScrape.of(gateway(1).url);
    const probe = `/no-such-path-${randomUUID()}`;
    expect((await request(gateway(1).url, 'GET', '/health/live')).status).toBe(200);
    expect((await request(gateway(1).url, 'GET', probe)).status).toBe(404);

    // A request is observed when its response has been flushed ('finish'), which may come after the client has it.
    await eventually(async () => {
      const after = await MetricsScrape.of(gateway(1).url);
      expect({ live: after.value(name, series), unmatched: after.value(name, unmatched) }).toEqual({
        live: before.value(name, series) + 1,
        unmatched: before.value(name, unmatched) + 1,
      });
      expect(after.text).not.toContain(probe);
    });
  });
});
