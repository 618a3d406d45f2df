import { externalSessionId, externalUserId } from '@app/oidc';
import { exportJWK, generateKeyPair } from 'jose';
import { startCluster, type Cluster } from '../support/cluster';
import { freePort } from '../support/free-port';
import { connectionsOf, login, request } from '../support/http';
import { edgeOrigin, startNginx, type Nginx } from '../support/nginx';
import { OidcProvider, type ProviderSession } from '../support/oidc-provider';
import { closeAllSockets, connectError, connectSocket, disconnected, expectAlive, nextEvent, type ClientSocket } from '../support/sockets';
import { UserLoggedOutListener } from '../support/user-logged-out-listener';

/**
 * A session started at a real OpenID Provider (oidc-provider, as its own process) bound to sockets on three gateway
 * processes, directly and through nginx, and ended there by the provider's own back-channel logout, which reaches the
 * auth service through nginx. The gateways trust the provider (OIDC_ISSUERS) beside the auth service's own tokens.
 */
describe('sessions of a real OpenID Provider, through nginx and 3 gateways', () => {
  let provider: OidcProvider;
  let cluster: Cluster;
  let nginx: Nginx;
  let edge: string;
  let listener: UserLoggedOutListener;

  beforeAll(async () => {
    const nginxPort = await freePort();
    edge = edgeOrigin(nginxPort);
    provider = await OidcProvider.start({ backchannelLogoutUri: `${edge}/oidc/backchannel-logout` });
    // A key published since the gateways' last JWKS fetch is fetched at once unless that fetch is younger than the
    // cooldown: 1 s here, so the rotation below does not have to wait for the default 30 s after boot.
    cluster = await startCluster({ env: provider.oidcIssuersEnv(), gatewayEnv: { JWKS_COOLDOWN_MS: '1000' }, allowedOrigins: [edge] });
    nginx = await startNginx(cluster, { port: nginxPort });
    listener = await UserLoggedOutListener.start(cluster.redis.url);
  });

  afterEach(() => closeAllSockets());

  afterAll(async () => {
    await listener?.close();
    await nginx?.stop();
    await cluster?.cleanup();
    await provider?.stop();
  });

  /** One socket on each gateway, directly, and one through nginx. */
  async function socketsEverywhere(token: string): Promise<ClientSocket[]> {
    const urls = [...cluster.gateways.map((gateway) => gateway.url), edge];
    return Promise.all(urls.map((url) => connectSocket(url, { token })));
  }

  async function expectRefusedEverywhere(token: string, code: string): Promise<void> {
    for (const url of [...cluster.gateways.map((gateway) => gateway.url), edge]) {
      expect((await connectError(url, { token })).data?.code).toBe(code);
    }
  }

  /** Resolves once every socket got `session:ended {reason}` and was disconnected. */
  function endedWith(sockets: ClientSocket[], reason: string): Promise<void> {
    return Promise.all(
      sockets.map(async (socket) => {
        const [ended] = await Promise.all([nextEvent(socket, 'session:ended', 10_000), disconnected(socket, 10_000)]);
        expect(ended.reason).toBe(reason);
      }),
    ).then(() => undefined);
  }

  function postLogoutToken(logoutToken: string) {
    return request<{ error?: string; code?: string }>(edge, 'POST', '/oidc/backchannel-logout', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: new URLSearchParams({ logout_token: logoutToken }).toString(),
    });
  }

  it('a user signed in with the code flow and PKCE opens sockets on every gateway with the provider access token; the registry lists them', async () => {
    const alice = await provider.signIn('alice');
    const sockets = await socketsEverywhere(alice.tokens.accessToken);
    const userId = externalUserId(provider.issuer, 'alice');
    const sessionId = externalSessionId(provider.issuer, alice.sid);
    const answers = await Promise.all(sockets.map((socket) => socket.emitWithAck('whoami')));
    for (const answer of answers) expect(answer).toMatchObject({ ok: true, userId, sessionId });
    const nodes = new Set(answers.map((answer) => (answer.ok ? answer.nodeId : undefined)));
    for (const gateway of cluster.gateways) expect(nodes.has(gateway.nodeId)).toBe(true);

    const admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
    const connections = await connectionsOf(cluster.authUrl, admin, userId);
    expect(connections.map((connection) => connection.socketId).sort()).toEqual(sockets.map((socket) => socket.id).sort());
    // The auth service's own users keep working beside the provider's.
    await expectAlive([await connectSocket(edge, { token: admin.accessToken })]);
  });

  it("the provider's RP-initiated logout closes that session's sockets on every node; another session of the user stays; the ended session cannot come back", async () => {
    const first = await provider.signIn('bob');
    const second = await provider.signIn('bob');
    expect(second.sid).not.toBe(first.sid);
    const firstSockets = await socketsEverywhere(first.tokens.accessToken);
    const secondSockets = await socketsEverywhere(second.tokens.accessToken);

    const ended = endedWith(firstSockets, 'provider_logout');
    await first.logout();
    await ended;
    const message = await listener.nextExternal((candidate) => candidate.providerSessionId === first.sid);
    expect(message).toMatchObject({ issuer: provider.issuer, subject: 'bob', reason: 'provider_logout' });
    await expectAlive(secondSockets);

    // Its access token, and a fresh one of the same provider session (the provider still honours the offline refresh
    // token), are refused on every gateway, and cannot move another session's socket over either.
    await expectRefusedEverywhere(first.tokens.accessToken, 'SESSION_REVOKED');
    const refreshed = await first.refresh();
    expect(first.sid).toBe(message.providerSessionId);
    await expectRefusedEverywhere(refreshed.accessToken, 'SESSION_REVOKED');
    const moved = await secondSockets[0].emitWithAck('auth:refresh', { token: refreshed.accessToken });
    expect(moved).toMatchObject({ ok: false });
    await expectAlive(secondSockets);
  });

  it("a logout token naming only sub ends every session of that user on every node, and no one else's", async () => {
    const sessions = [await provider.signIn('carol'), await provider.signIn('carol')];
    const carolSockets = (await Promise.all(sessions.map((session) => socketsEverywhere(session.tokens.accessToken)))).flat();
    const dave = await provider.signIn('dave');
    const daveSockets = await socketsEverywhere(dave.tokens.accessToken);

    const ended = endedWith(carolSockets, 'provider_logout');
    await provider.logoutUser('carol');
    await ended;
    const message = await listener.nextExternal((candidate) => candidate.subject === 'carol');
    expect(message.providerSessionId).toBeNull();
    await expectAlive(daveSockets);
    for (const session of sessions) await expectRefusedEverywhere((await session.refresh()).accessToken, 'SESSION_REVOKED');

    // A sign-in after the logout is a new session (auth_time has a one-second grain: one in the same second counts as ended).
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 50));
    const again = await provider.signIn('carol');
    await expectAlive(await socketsEverywhere(again.tokens.accessToken));
  });

  it('a replayed logout token is refused 400 and nothing else happens; forged ones are refused and end nothing', async () => {
    const erin = await provider.signIn('erin');
    const erinSockets = await socketsEverywhere(erin.tokens.accessToken);
    const frank = await provider.signIn('frank');
    const frankSockets = await socketsEverywhere(frank.tokens.accessToken);

    const logoutToken = await provider.signLogoutToken({ sub: 'erin', sid: erin.sid });
    const ended = endedWith(erinSockets, 'provider_logout');
    expect((await postLogoutToken(logoutToken)).status).toBe(200);
    await ended;
    await listener.nextExternal((candidate) => candidate.providerSessionId === erin.sid);
    const replay = await postLogoutToken(logoutToken);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_request', code: 'INVALID_LOGOUT_TOKEN' });

    const target = { sub: 'frank', sid: frank.sid };
    const { privateKey: otherKey } = await generateKeyPair('RS256', { extractable: true });
    const current = (await provider.signingKeys()).current.find((key) => key.alg === 'RS256');
    if (!current) throw new Error('the provider has no RS256 key');
    const unsigned = (claims: object) =>
      [{ alg: 'none', typ: 'logout+jwt' }, { iss: provider.issuer, aud: 'sessionwire-demo', iat: Math.floor(Date.now() / 1000), jti: 'none-1', events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, ...claims }]
        .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
        .join('.') + '.';
    const forged = [
      await provider.signLogoutToken(target, { key: { ...(await exportJWK(otherKey)), kid: current.kid, alg: 'RS256' } as typeof current }),
      await provider.signLogoutToken({ ...target, aud: 'another-client' }),
      await provider.signLogoutToken({ ...target, events: undefined }),
      await provider.signLogoutToken({ ...target, nonce: 'n-1' }),
      unsigned(target),
    ];
    for (const token of forged) {
      const answer = await postLogoutToken(token);
      expect(answer.status).toBe(400);
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    await expectAlive(frankSockets);
    await expect(listener.nextExternal((candidate) => candidate.subject === 'frank', 500)).rejects.toThrow(/no matching/);
  });

  it('the provider rotates its signing key while clients keep reconnecting: no handshake is refused', async () => {
    const sessions: ProviderSession[] = await Promise.all(['gina', 'hank', 'ivy'].map((name) => provider.signIn(name)));
    const refusals: string[] = [];
    let rotated = false;
    let afterRotation = 0;
    const urls = [...cluster.gateways.map((gateway) => gateway.url), edge];
    const reconnectLoop = async (session: ProviderSession, index: number) => {
      for (let round = 0; !rotated || afterRotation < 12; round++) {
        // Half the rounds with a fresh token (signed by whichever key signs now), half with the one before.
        const token = round % 2 === 0 ? (await session.refresh()).accessToken : session.tokens.accessToken;
        try {
          const socket = await connectSocket(urls[(index + round) % urls.length], { token });
          socket.close();
        } catch (error) {
          refusals.push((error as { data?: { code: string } }).data?.code ?? String(error));
        }
        if (rotated) afterRotation++;
      }
    };
    const loops = sessions.map((session, index) => reconnectLoop(session, index));
    const newKids = await provider.rotateKeys();
    rotated = true;
    await Promise.all(loops);
    expect(refusals).toEqual([]);
    const signedByNewKey = JSON.parse(Buffer.from((await sessions[0].refresh()).accessToken.split('.')[0], 'base64url').toString()) as { kid: string };
    expect(newKids).toContain(signedByNewKey.kid);
    await expectAlive([await connectSocket(edge, { token: sessions[0].tokens.accessToken })]);
  });
});
