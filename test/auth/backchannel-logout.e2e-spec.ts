import type { BackchannelLogoutErrorBody, ErrorCode } from '@app/contracts';
import { redisKeys } from '@app/contracts';
import { endedSessionTtlSeconds, externalSessionId, externalUserId, trustedIssuerSchema, type TrustedIssuerInput } from '@app/oidc';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Redis } from 'ioredis';
import { startCluster, type Cluster } from '../support/cluster';
import { eventually } from '../support/eventually';
import { freePort } from '../support/free-port';
import { request, type JsonResponse } from '../support/http';
import { startNginx, type Nginx } from '../support/nginx';
import { UserLoggedOutListener } from '../support/user-logged-out-listener';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const CLIENT_ID = 'sessionwire-rp';
const PATH = '/oidc/backchannel-logout';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * A tiny OpenID Provider as far as the receiver sees one: a discovery document and a JWKS, on a real HTTP server,
 * counting the requests it gets. Its issuer is its own URL (plain http on loopback is allowed).
 */
interface TestProvider {
  issuer: string;
  /** A second issuer on the same server whose entry has no clientId. */
  issuerWithoutClient: string;
  kid: string;
  privateKey: CryptoKey;
  publicPem: string;
  requests: string[];
  close(): Promise<void>;
}

async function startProvider(): Promise<TestProvider> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = 'provider-key-1';
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  // A second ES256 key, published first (the next one of a rotation): a token without kid must find the right one.
  const next: JWK = { ...(await exportJWK((await generateKeyPair('ES256')).publicKey)), kid: 'provider-key-2', alg: 'ES256', use: 'sig' };
  const requests: string[] = [];
  let issuer = '';
  const server: Server = createServer((incoming, outgoing) => {
    requests.push(incoming.url ?? '');
    const send = (body: unknown) => outgoing.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (incoming.url === '/.well-known/openid-configuration') send({ issuer, jwks_uri: `${issuer}/jwks`, backchannel_logout_supported: true });
    else if (incoming.url === '/jwks') send({ keys: [next, jwk] });
    else if (incoming.url === '/jwks-failing') outgoing.writeHead(503).end();
    else if (incoming.url === '/jwks-oversized') send({ keys: [next, jwk], padding: 'x'.repeat(300 * 1024) });
    else outgoing.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    issuerWithoutClient: `${issuer}/no-client`,
    kid,
    privateKey,
    publicPem: await exportSPKI(publicKey),
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('POST /oidc/backchannel-logout (OpenID Connect Back-Channel Logout 1.0) on the auth service as a process', () => {
  let provider: TestProvider;
  let cluster: Cluster;
  let redis: Redis;
  let listener: UserLoggedOutListener;
  let ttlSeconds: number;

  beforeAll(async () => {
    provider = await startProvider();
    const entries: TrustedIssuerInput[] = [
      // Discovery: no jwksUri.
      { name: 'test-idp', issuer: provider.issuer, audience: 'sessionwire-api', clientId: CLIENT_ID, algorithms: ['ES256'] },
      { name: 'no-client', issuer: provider.issuerWithoutClient, jwksUri: `${provider.issuer}/jwks`, audience: 'sessionwire-api', algorithms: ['ES256'] },
      // Keys out of reach: a JWKS on a port nothing listens on; an issuer with no discovery document (404).
      { name: 'jwks-down', issuer: `${provider.issuer}/jwks-down`, jwksUri: `http://127.0.0.1:${await freePort()}/jwks`, audience: 'a', clientId: CLIENT_ID, algorithms: ['ES256'] },
      { name: 'no-discovery', issuer: `${provider.issuer}/no-discovery`, audience: 'a', clientId: CLIENT_ID, algorithms: ['ES256'] },
      // A JWKS over the 256 KiB read limit (with the right key in it).
      { name: 'jwks-oversized', issuer: `${provider.issuer}/jwks-oversized`, jwksUri: `${provider.issuer}/jwks-oversized`, audience: 'a', clientId: CLIENT_ID, algorithms: ['ES256'] },
      // A JWKS that answers 503.
      { name: 'jwks-failing', issuer: `${provider.issuer}/jwks-failing`, jwksUri: `${provider.issuer}/jwks-failing`, audience: 'a', clientId: CLIENT_ID, algorithms: ['ES256'] },
    ];
    ttlSeconds = endedSessionTtlSeconds(trustedIssuerSchema.parse(entries[0]));
    cluster = await startCluster({ gateways: 0, authEnv: { OIDC_ISSUERS: JSON.stringify(entries) } });
    redis = cluster.redis.client() as Redis;
    listener = await UserLoggedOutListener.start(cluster.redis.url);
  });

  afterAll(async () => {
    await listener?.close();
    redis?.disconnect();
    await cluster?.cleanup();
    await provider?.close();
  });

  /** The claims of a valid logout token of a new provider session of `alice`; `overrides` set or (undefined) drop claims. */
  function claims(overrides: Record<string, unknown> = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    const all: Record<string, unknown> = { iss: provider.issuer, aud: CLIENT_ID, iat: now, exp: now + 120, jti: randomUUID(), sub: 'alice', sid: randomUUID(), events: { [EVENT]: {} }, ...overrides };
    return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
  }

  /** As the provider signs it: ES256 with its published key, typed logout+jwt. */
  function sign(payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: provider.kid, typ: 'logout+jwt', ...header }).sign(provider.privateKey);
  }

  function post(token: string, baseUrl = cluster.authUrl): Promise<JsonResponse<BackchannelLogoutErrorBody | undefined>> {
    return request(baseUrl, 'POST', PATH, { rawBody: new URLSearchParams({ logout_token: token }).toString(), headers: FORM });
  }

  function expectEnded(response: JsonResponse<unknown>): void {
    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: undefined });
    expect(response.headers.get('cache-control')).toBe('no-store');
  }

  /** A refusal: status, the usual fields plus OAuth's, never cached. */
  function expectRefused(response: JsonResponse<unknown>, status: number, code: ErrorCode, description?: RegExp): void {
    const error = status === 400 ? 'invalid_request' : STATUS_CODES[status];
    expect({ status: response.status, body: response.body }).toEqual({
      status,
      body: { statusCode: status, error, error_description: expect.stringMatching(description ?? /./), message: expect.any(String), code },
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
  }

  /** `sessionwire_auth_backchannel_logouts_total` by result, from the auth service's /metrics. */
  async function backchannelLogoutCounts(): Promise<Record<string, number>> {
    const text = await (await fetch(`${cluster.authUrl}/metrics`)).text();
    return Object.fromEntries([...text.matchAll(/^sessionwire_auth_backchannel_logouts_total\{result="(\w+)"\} (\d+)$/gm)].map(([, result, count]) => [result, Number(count)]));
  }

  const sessionRecord = (sid: string) => redisKeys.externalSessionEnded(externalSessionId(provider.issuer, sid));

  /** Proves nothing was published for `sids`: a valid logout after them is announced, and no message before it named them. */
  async function expectNothingPublishedFor(sids: string[]): Promise<void> {
    const marker = claims();
    expectEnded(await post(await sign(marker)));
    await listener.nextExternal((message) => message.providerSessionId === marker.sid);
    const leaked = listener.payloads().filter((payload) => sids.some((sid) => payload.includes(sid)));
    expect(leaked).toEqual([]);
    expect(await redis.exists(...sids.map(sessionRecord))).toBe(0);
  }

  it('a valid token with sid and sub: 200, the provider session recorded ended for the TTL, the v2 message published', async () => {
    const token = claims();
    const response = await post(await sign(token));

    expectEnded(response);
    const message = await listener.nextExternal((candidate) => candidate.providerSessionId === token.sid);
    expect(message).toEqual({ v: 2, id: expect.any(String), issuer: provider.issuer, subject: 'alice', providerSessionId: token.sid, reason: 'provider_logout', at: expect.any(Number) });
    expect(await redis.get(sessionRecord(token.sid as string))).toBe(String(message.at));
    const ttlMs = await redis.pttl(sessionRecord(token.sid as string));
    expect(ttlMs).toBeGreaterThan((ttlSeconds - 60) * 1000);
    expect(ttlMs).toBeLessThanOrEqual(ttlSeconds * 1000);
  });

  it('a token with only sid: that session ends, with no subject in the message', async () => {
    const token = claims({ sub: undefined });
    expectEnded(await post(await sign(token)));

    const message = await listener.nextExternal((candidate) => candidate.providerSessionId === token.sid);
    expect(message).toMatchObject({ issuer: provider.issuer, subject: null });
    expect(await redis.exists(sessionRecord(token.sid as string))).toBe(1);
  });

  it('a token with only sub (no type, as providers that do not type logout tokens send): every session of the user until now', async () => {
    const subject = `user-${randomUUID()}`;
    const token = claims({ sid: undefined, sub: subject });
    expectEnded(await post(await sign(token, { typ: undefined })));

    const message = await listener.nextExternal((candidate) => candidate.subject === subject);
    expect(message).toMatchObject({ issuer: provider.issuer, providerSessionId: null, reason: 'provider_logout' });
    const key = redisKeys.externalUserEndedBefore(externalUserId(provider.issuer, subject));
    expect(await redis.get(key)).toBe(String(message.at));
    expect(await redis.pttl(key)).toBeGreaterThan((ttlSeconds - 60) * 1000);
    // The end is the provider's (its iat, to the end of that second), compared with session starts from its clock.
    expect(message.at).toBe((token.iat as number) * 1000 + 999);
  });

  it("a sub-only token ends the sessions started until its iat, by the provider's clock: one delivered late ends none started since", async () => {
    const subject = `user-${randomUUID()}`;
    const issuedAt = Math.floor(Date.now() / 1000) - 120;
    expectEnded(await post(await sign(claims({ sid: undefined, sub: subject, iat: issuedAt, exp: issuedAt + 600 }))));
    const message = await listener.nextExternal((candidate) => candidate.subject === subject);
    expect(message.at).toBe(issuedAt * 1000 + 999);
    expect(await redis.get(redisKeys.externalUserEndedBefore(externalUserId(provider.issuer, subject)))).toBe(String(issuedAt * 1000 + 999));
  });

  it('the same token again: 400, and no second message', async () => {
    const token = claims();
    const signed = await sign(token);
    expectEnded(await post(signed));
    await listener.nextExternal((candidate) => candidate.providerSessionId === token.sid);

    expectRefused(await post(signed), 400, 'INVALID_LOGOUT_TOKEN', /already used/);
    const marker = claims();
    expectEnded(await post(await sign(marker)));
    await listener.nextExternal((candidate) => candidate.providerSessionId === marker.sid);
    expect(listener.payloads().filter((payload) => payload.includes(token.sid as string))).toHaveLength(1);
  });

  it('forged and malformed tokens: 400 INVALID_LOGOUT_TOKEN, nothing recorded or published', async () => {
    const { privateKey: otherKey } = await generateKeyPair('ES256');
    const forged: Array<[string, (payload: JWTPayload) => Promise<string>, RegExp]> = [
      ['signed by another key under the published kid', (payload) => new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: provider.kid, typ: 'logout+jwt' }).sign(otherKey), /signature/],
      ['signed by another key under an unknown kid', (payload) => new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'unknown', typ: 'logout+jwt' }).sign(otherKey), /key/i],
      ['for another audience', (payload) => sign({ ...payload, aud: 'another-client' }), /aud/],
      ['without events', (payload) => sign({ ...payload, events: undefined }), /events/],
      ['with events lacking the back-channel logout member', (payload) => sign({ ...payload, events: { 'http://schemas.openid.net/event/other': {} } }), /events/],
      ['with the events member not an object', (payload) => sign({ ...payload, events: { [EVENT]: 'yes' } }), /not a JSON object/],
      ['with events an array', (payload) => sign({ ...payload, events: [EVENT] }), /events/],
      ['with a nonce', (payload) => sign({ ...payload, nonce: 'n-0S6_WzA2Mj' }), /nonce/],
      ['with alg none', (payload) => Promise.resolve(unsigned(payload)), /./],
      ['HS256 signed with the public key', (payload) => new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: provider.kid }).sign(new TextEncoder().encode(provider.publicPem)), /alg/],
      ['from an issuer that is not trusted', (payload) => sign({ ...payload, iss: 'https://evil.example.com' }), /not trusted/],
      ['from a trusted issuer without a clientId', (payload) => sign({ ...payload, iss: provider.issuerWithoutClient }), /no clientId/],
      ['with neither sid nor sub', (payload) => sign({ ...payload, sub: undefined, sid: undefined }), /neither sub nor sid/],
      ['issued in the future beyond the clock skew', (payload) => sign({ ...payload, iat: (payload.iat as number) + 120, exp: (payload.iat as number) + 240 }), /iat/],
      ['issued longer ago than the longest token lifetime', (payload) => sign({ ...payload, iat: (payload.iat as number) - 7200, exp: undefined }), /iat/],
      ['expired', (payload) => sign({ ...payload, iat: (payload.iat as number) - 300, exp: (payload.iat as number) - 100 }), /exp/],
      ['without iat', (payload) => sign({ ...payload, iat: undefined }), /iat/],
      ['without jti', (payload) => sign({ ...payload, jti: undefined }), /jti/],
      ['typed as an access token', (payload) => sign(payload, { typ: 'at+jwt' }), /typ/],
      ['with a sid that is not a string', (payload) => sign({ ...payload, sid: 42 }), /sid/],
    ];
    const sids: string[] = [];
    for (const [what, make, description] of forged) {
      const payload = claims();
      sids.push(payload.sid as string);
      const response = await post(await make(payload));
      try {
        expectRefused(response, 400, 'INVALID_LOGOUT_TOKEN', description);
      } catch (error) {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      }
    }
    await expectNothingPublishedFor(sids);
  });

  it('a sub or sid with a lone surrogate (which the gateways refuse, and whose digest would match another value): 400, nothing recorded', async () => {
    const sid = `s-${randomUUID()}\uDC00`;
    expectRefused(await post(await sign(claims({ sid }))), 400, 'INVALID_LOGOUT_TOKEN', /sid holds a lone surrogate/);
    expectRefused(await post(await sign(claims({ sub: 'alice\uD800', sid: undefined }))), 400, 'INVALID_LOGOUT_TOKEN', /sub holds a lone surrogate/);
    expect(await redis.exists(sessionRecord(sid), redisKeys.externalUserEndedBefore(externalUserId(provider.issuer, 'alice\uD800')))).toBe(0);
  });

  it('a token without kid while the provider publishes two keys of its type: verified with the one that fits', async () => {
    const payload = claims();
    expectEnded(await post(await sign(payload, { kid: undefined })));
    expect(await redis.exists(sessionRecord(payload.sid as string))).toBe(1);
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'logout+jwt' }).sign((await generateKeyPair('ES256')).privateKey);
    expectRefused(await post(forged), 400, 'INVALID_LOGOUT_TOKEN', /signature/);
  });

  it('an untrusted issuer is refused before any key is looked up: the provider gets no request', async () => {
    const before = provider.requests.length;
    expectRefused(await post(await sign(claims({ iss: 'https://evil.example.com' }))), 400, 'INVALID_LOGOUT_TOKEN', /not trusted/);
    expect(provider.requests.length).toBe(before);
  });

  it('the issuer\'s keys out of reach (JWKS down, no discovery document): 503 the provider may retry, nothing published', async () => {
    const sids: string[] = [];
    for (const iss of [`${provider.issuer}/jwks-down`, `${provider.issuer}/no-discovery`]) {
      const payload = claims({ iss });
      sids.push(payload.sid as string);
      const response = await post(await sign(payload));
      expectRefused(response, 503, 'UNAVAILABLE', /keys/);
      expect(response.headers.get('retry-after')).toBe('1');
    }
    expect((await backchannelLogoutCounts()).unavailable).toBeGreaterThanOrEqual(2);
    expect(listener.payloads().filter((payload) => sids.some((sid) => payload.includes(sid)))).toEqual([]);
  });

  it('a JWKS over 256 KiB is not read: 503, nothing ended', async () => {
    const payload = claims({ iss: `${provider.issuer}/jwks-oversized` });
    expectRefused(await post(await sign(payload)), 503, 'UNAVAILABLE', /keys/);
    expect(await redis.exists(redisKeys.externalSessionEnded(externalSessionId(`${provider.issuer}/jwks-oversized`, payload.sid as string)))).toBe(0);
  });

  it('after a failed JWKS fetch, the issuer\'s tokens are answered 503 without asking the provider again for a while', async () => {
    const iss = `${provider.issuer}/jwks-failing`;
    const fetches = () => provider.requests.filter((url) => url === '/jwks-failing').length;
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await post(await sign(claims({ iss }), { kid: `forged-${attempt}` }));
      expectRefused(response, 503, 'UNAVAILABLE', /keys/);
    }
    expect(fetches()).toBe(1);
  });

  it('requests without a usable logout_token: 4xx JSON, cookies and Origin mean nothing, the process stays up', async () => {
    const token = await sign(claims());
    const cases: Array<[string, Parameters<typeof request>[3], number, ErrorCode]> = [
      ['a JSON body', { json: { logout_token: token } }, 415, 'INVALID_INPUT'],
      ['a text/plain body', { rawBody: `logout_token=${token}`, headers: { 'content-type': 'text/plain' } }, 415, 'INVALID_INPUT'],
      ['no body at all', { headers: FORM }, 400, 'INVALID_INPUT'],
      ['other parameters only, with a session cookie', { rawBody: 'token=x', headers: { ...FORM, cookie: 'sid=anything' } }, 400, 'INVALID_INPUT'],
      ['an empty logout_token', { rawBody: 'logout_token=', headers: FORM }, 400, 'INVALID_INPUT'],
      ['logout_token twice', { rawBody: `logout_token=${token}&logout_token=${token}`, headers: FORM }, 400, 'INVALID_INPUT'],
      ['a garbage token', { rawBody: 'logout_token=not.a.jwt', headers: FORM }, 400, 'INVALID_LOGOUT_TOKEN'],
      ['a body over BODY_LIMIT', { rawBody: `logout_token=${token}&padding=${'x'.repeat(20_000)}`, headers: FORM }, 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [what, options, status, code] of cases) {
      const response = await request(cluster.authUrl, 'POST', PATH, options);
      try {
        expectRefused(response, status, code);
      } catch (error) {
        throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      }
    }
    // Without a Content-Length (chunked), the body is counted as it comes and refused at the limit.
    const chunked = await postChunked(cluster.authUrl, PATH, [`logout_token=${token}&padding=`, ...Array.from({ length: 40 }, () => 'x'.repeat(1024))]);
    expect({ status: chunked.status, body: chunked.body }).toEqual({
      status: 413,
      body: { statusCode: 413, error: 'Payload Too Large', error_description: 'Request body too large', message: 'Request body too large', code: 'PAYLOAD_TOO_LARGE' },
    });
    expect(cluster.auth.running).toBe(true);
    expect((await request(cluster.authUrl, 'GET', '/health/live')).status).toBe(200);

    // A server-to-server call: an Origin of any site, or none, changes nothing.
    const fromElsewhere = claims();
    const response = await request(cluster.authUrl, 'POST', PATH, {
      rawBody: new URLSearchParams({ logout_token: await sign(fromElsewhere) }).toString(),
      headers: { ...FORM, origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' },
    });
    expectEnded(response);
    await listener.nextExternal((message) => message.providerSessionId === fromElsewhere.sid);
  });

  it('through nginx: /oidc/ reaches the auth service', async () => {
    const nginx: Nginx = await startNginx(cluster);
    try {
      const token = claims();
      expectEnded(await post(await sign(token), nginx.url));
      await listener.nextExternal((message) => message.providerSessionId === token.sid);
      // A refusal comes through the edge as the auth service wrote it.
      expectRefused(await post('not.a.jwt', nginx.url), 400, 'INVALID_LOGOUT_TOKEN');
    } finally {
      await nginx.stop();
    }
  });

  it('counts every request by result; its request log line tells the outcome, never the token', async () => {
    const before = await backchannelLogoutCounts();
    const signed = await sign(claims());
    expectEnded(await post(signed));
    const replay = await post(signed);
    expectRefused(replay, 400, 'INVALID_LOGOUT_TOKEN');
    expectRefused(await post('not.a.jwt'), 400, 'INVALID_LOGOUT_TOKEN');
    expectRefused(await request(cluster.authUrl, 'POST', PATH, { json: { logout_token: signed } }), 415, 'INVALID_INPUT');

    const after = await backchannelLogoutCounts();
    for (const result of ['ended', 'replayed', 'invalid_token', 'invalid_request']) expect({ result, added: (after[result] ?? 0) - (before[result] ?? 0) }).toEqual({ result, added: 1 });
    const requestId = replay.headers.get('x-request-id') as string;
    await cluster.auth.waitForLog(new RegExp(`${requestId}.*request completed`));
    const lines = cluster.auth.logs().split('\n').filter((line) => line.includes(requestId));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      msg: 'request completed',
      res: { statusCode: 400 },
      backchannelLogout: { result: 'replayed', issuer: 'test-idp', sid: true, sub: true, reason: expect.stringMatching(/already used/) },
    });
    expect(cluster.auth.logs()).not.toContain(signed.split('.')[1]);
  });

  // Last: it stops Redis under the running auth service.
  it('Redis down: 503 and nothing burned; the same token after Redis is back: 200', async () => {
    const token = claims();
    const signed = await sign(token);
    await cluster.redis.stop();
    try {
      const response = await post(signed);
      expect({ status: response.status, body: response.body }).toEqual({
        status: 503,
        body: { statusCode: 503, error: 'Service Unavailable', message: expect.any(String), code: 'UNAVAILABLE' },
      });
      expect(response.headers.get('cache-control')).toBe('no-store');
    } finally {
      await cluster.redis.start();
    }
    // Subscribed before the retry (the suite's listener resubscribes in its own time).
    const afterOutage = await UserLoggedOutListener.start(cluster.redis.url);
    expect(await redis.exists(sessionRecord(token.sid as string))).toBe(0);
    const retried = await eventually(async () => {
      const response = await post(signed);
      expect(response.status).not.toBe(503);
      return response;
    }, 20_000);
    expectEnded(retried);
    try {
      expect((await afterOutage.nextExternal((candidate) => candidate.providerSessionId === token.sid)).subject).toBe('alice');
    } finally {
      await afterOutage.close();
    }
    expect(await redis.exists(sessionRecord(token.sid as string))).toBe(1);
    expect((await backchannelLogoutCounts()).unavailable).toBeGreaterThanOrEqual(1);
  });
});

/** A form POST whose body goes out chunk by chunk (no Content-Length); resolves with the answer, even if the server stops reading. */
function postChunked(baseUrl: string, path: string, chunks: string[]): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = httpRequest(`${baseUrl}${path}`, { method: 'POST', headers: { ...FORM, 'transfer-encoding': 'chunked' }, agent: false }, (incoming) => {
      answered = true;
      const parts: Buffer[] = [];
      incoming.on('data', (part: Buffer) => parts.push(part));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')) }));
      incoming.on('error', reject);
    });
    // The server may close the connection once it answered: writes failing after the answer are expected.
    outgoing.on('error', (error) => {
      if (!answered) reject(error);
    });
    for (const chunk of chunks) outgoing.write(chunk);
    outgoing.end();
  });
}

/** An `alg: none` JWT: header and claims, no signature. */
function unsigned(payload: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'logout+jwt' })}.${part(payload)}.`;
}
