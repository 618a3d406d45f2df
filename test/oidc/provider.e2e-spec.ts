import { trustedIssuersSchema } from '@app/oidc';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_AUDIENCE, LOCAL_CLIENT_ID } from '../../scripts/lib/local-provider.mjs';
import { BACKCHANNEL_LOGOUT_EVENT, OidcProvider } from '../support/oidc-provider';

/** What a back-channel logout receiver got: one request each. */
interface ReceivedLogout {
  method?: string;
  path?: string;
  headers: IncomingHttpHeaders;
  body: URLSearchParams;
}

/** A real HTTP server standing in for the auth service's receiver: it answers 200 and keeps every request. */
async function startReceiver(): Promise<{ url: string; received: ReceivedLogout[]; close(): Promise<void> }> {
  const received: ReceivedLogout[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ method: request.method, path: request.url, headers: request.headers, body: new URLSearchParams(body) });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/oidc/backchannel-logout`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the local OpenID Provider (scripts/oidc-provider.mjs) and its test driver', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let provider: OidcProvider;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    receiver = await startReceiver();
    provider = await OidcProvider.start({ backchannelLogoutUri: receiver.url });
    jwks = createRemoteJWKSet(new URL(`${provider.issuer}/jwks`), { cooldownDuration: 0 });
  });

  afterAll(async () => {
    await provider?.stop();
    await receiver?.close();
  });

  beforeEach(() => receiver.received.splice(0));

  const verifyAccessToken = async (token: string): Promise<JWTPayload> =>
    (await jwtVerify(token, jwks, { issuer: provider.issuer, audience: LOCAL_AUDIENCE, typ: 'at+jwt' })).payload;

  /** The one logout token the receiver got, verified with the provider's published keys. */
  const receivedLogoutToken = async (): Promise<{ header: ReturnType<typeof decodeProtectedHeader>; claims: JWTPayload }> => {
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request).toMatchObject({ method: 'POST', path: '/oidc/backchannel-logout' });
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const token = request.body.get('logout_token') ?? '';
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: provider.issuer, audience: LOCAL_CLIENT_ID, typ: 'logout+jwt' });
    return { header: protectedHeader, claims: payload };
  };

  it('gives its OIDC_ISSUERS entry in the shape the apps validate', () => {
    const parsed = trustedIssuersSchema.parse(JSON.parse(provider.oidcIssuersEnv().OIDC_ISSUERS));
    expect(parsed).toEqual([
      expect.objectContaining({ issuer: provider.issuer, audience: LOCAL_AUDIENCE, clientId: LOCAL_CLIENT_ID, claims: { userId: 'sub', sessionId: 'sid', roles: 'roles' } }),
    ]);
  });

  it('signs a user in with the code flow and PKCE: a JWT access token for the gateways with sid, auth_time and roles, an ID token and a refresh token', async () => {
    const session = await provider.signIn('alice');
    const access = await verifyAccessToken(session.tokens.accessToken);
    expect(decodeProtectedHeader(session.tokens.accessToken).alg).toBe('RS256');
    expect(access).toMatchObject({ iss: provider.issuer, aud: LOCAL_AUDIENCE, sub: 'alice', client_id: LOCAL_CLIENT_ID, roles: ['user'] });
    expect(access.sid).toEqual(expect.any(String));
    expect(access.auth_time).toEqual(expect.any(Number));
    expect(access.exp! - access.iat!).toBe(provider.issuerEntry().maxTokenLifetimeSeconds);

    const { payload: id } = await jwtVerify(session.tokens.idToken, jwks, { issuer: provider.issuer, audience: LOCAL_CLIENT_ID });
    expect(id).toMatchObject({ sub: 'alice', sid: access.sid });
    expect(session.tokens.refreshToken).toEqual(expect.any(String));
    expect(session.sid).toBe(access.sid);
  });

  it('makes two sign-ins of the same user two provider sessions, and gives the admin role to admin users only', async () => {
    const [first, second, admin] = await Promise.all([provider.signIn('alice'), provider.signIn('alice'), provider.signIn('admin')]);
    expect(first.sid).not.toBe(second.sid);
    expect(await verifyAccessToken(admin.tokens.accessToken)).toMatchObject({ sub: 'admin', roles: ['user', 'admin'] });
  });

  it('refreshes within the same session: same sid and auth_time, a new refresh token', async () => {
    const session = await provider.signIn('carol');
    const before = await verifyAccessToken(session.tokens.accessToken);
    const { refreshToken } = session.tokens;
    await session.refresh();
    const after = await verifyAccessToken(session.tokens.accessToken);
    expect(after).toMatchObject({ sub: 'carol', sid: before.sid, auth_time: before.auth_time });
    expect(after.jti).not.toBe(before.jti);
    expect(session.tokens.refreshToken).not.toBe(refreshToken);
  });

  it('POSTs a logout token naming the session at RP-initiated logout, and only for that session', async () => {
    const [ending, staying] = await Promise.all([provider.signIn('dave'), provider.signIn('dave')]);
    await ending.logout();
    const { header, claims } = await receivedLogoutToken();
    expect(header).toMatchObject({ alg: 'RS256', typ: 'logout+jwt' });
    expect(claims).toMatchObject({ sub: 'dave', sid: ending.sid, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } });
    expect(claims.sid).not.toBe(staying.sid);
    expect(claims.jti).toEqual(expect.any(String));
    expect(claims).not.toHaveProperty('nonce');
    // Offline access outlives the session at the provider (OIDC Core 11): a refresh still answers tokens, and they name
    // the ended sid, which is what lets the gateways refuse them.
    expect(await verifyAccessToken((await ending.refresh()).accessToken)).toMatchObject({ sid: ending.sid });
    expect(await verifyAccessToken((await staying.refresh()).accessToken)).toMatchObject({ sid: staying.sid });
  });

  it('POSTs a logout token with sub and no sid to end every session of a user', async () => {
    await provider.logoutUser('erin');
    const { claims } = await receivedLogoutToken();
    expect(claims).toMatchObject({ sub: 'erin', events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } });
    expect(claims).not.toHaveProperty('sid');
  });

  it('signs logout tokens with its key files as the provider does (for the tests of the receiver)', async () => {
    const token = await provider.signLogoutToken({ sub: 'frank', sid: 'a-session' });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: provider.issuer, audience: LOCAL_CLIENT_ID, typ: 'logout+jwt' });
    expect(protectedHeader.kid).toBe((await provider.signingKeys()).current.find((key) => key.alg === 'RS256')?.kid);
    expect(payload).toMatchObject({ sub: 'frank', sid: 'a-session', events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } });
  });

  it('rotates its signing key: the new key signs at once, the old one stays published until retired', async () => {
    const session = await provider.signIn('grace');
    const oldKid = decodeProtectedHeader(session.tokens.accessToken).kid;
    const newKids = await provider.rotateKeys();
    const publishedKids = async () => ((await (await fetch(`${provider.issuer}/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> }).keys;

    await session.refresh();
    expect(newKids).toContain(decodeProtectedHeader(session.tokens.accessToken).kid);
    expect((await publishedKids()).map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, ...newKids]));
    expect((await publishedKids()).some((key) => key.d !== undefined)).toBe(false);

    await provider.retireKeys();
    expect((await publishedKids()).map((key) => key.kid).sort()).toEqual([...newKids].sort());
    // Sessions outlive a key reload: the provider keeps its state across it.
    await expect(session.refresh()).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('signs access tokens with ES256 when asked', async () => {
    const es256 = await OidcProvider.start({ backchannelLogoutUri: receiver.url, accessTokenAlg: 'ES256' });
    try {
      const session = await es256.signIn('heidi');
      expect(decodeProtectedHeader(session.tokens.accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      const { payload } = await jwtVerify(session.tokens.accessToken, createRemoteJWKSet(new URL(`${es256.issuer}/jwks`)), { issuer: es256.issuer, audience: LOCAL_AUDIENCE });
      expect(payload.sid).toBe(session.sid);
    } finally {
      await es256.stop();
    }
  });
});
