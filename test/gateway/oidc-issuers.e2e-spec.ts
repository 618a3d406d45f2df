import { createExternalUserLoggedOut, redisKeys, USER_LOGGED_OUT_CHANNEL } from '@app/contracts';
import { externalSessionId, externalUserId } from '@app/oidc';
import { Redis } from 'ioredis';
import { startCluster, type Cluster } from '../support/cluster';
import { closeAllSockets, connectError, connectSocket, disconnected, nextEvent } from '../support/sockets';
import { TestTokenIssuer } from '../support/token-issuer';

/**
 * Gateway processes trusting an external OpenID Provider through OIDC_ISSUERS (beside the auth service's own tokens),
 * the provider's discovery document and JWKS served by a real HTTP server of the test.
 */
describe('gateways with OIDC_ISSUERS', () => {
  let cluster: Cluster;
  let provider: TestTokenIssuer;
  let commands: Redis;
  const entry = () => ({ name: 'test-idp', issuer: provider.issuer, audience: 'api', algorithms: ['ES256', 'EdDSA'] });

  beforeAll(async () => {
    provider = await TestTokenIssuer.start();
    await provider.publish('ES256', 'es-1');
    await provider.publish('EdDSA', 'ed-1');
    cluster = await startCluster({ gateways: 2, gatewayEnv: { OIDC_ISSUERS: JSON.stringify([entry()]) } });
    commands = new Redis(cluster.redis.url);
  });

  afterEach(() => closeAllSockets());

  afterAll(async () => {
    await commands?.quit();
    await cluster?.cleanup();
    await provider?.close();
  });

  it("a provider's token opens a socket on every gateway, as the derived user and session; session:set is refused clearly, session:get is empty", async () => {
    const token = await provider.sign('ed-1', { sub: 'erin', sid: 'erin-1' });
    for (const gateway of cluster.gateways) {
      const socket = await connectSocket(gateway.url, { token });
      expect(await socket.emitWithAck('whoami')).toMatchObject({
        ok: true,
        userId: externalUserId(provider.issuer, 'erin'),
        sessionId: externalSessionId(provider.issuer, 'erin-1'),
        nodeId: gateway.nodeId,
      });
      expect(await socket.emitWithAck('session:get')).toEqual({ ok: true, data: {} });
      expect(await socket.emitWithAck('session:set', { key: 'theme', value: 'dark' })).toEqual({
        ok: false,
        error: { code: 'FORBIDDEN', message: 'A session of an external OpenID Provider holds no session data' },
      });
    }
  });

  it("the provider's logout closes the session's sockets on every gateway with provider_logout, and its token cannot come back", async () => {
    const token = await provider.sign('es-1', { sub: 'frank', sid: 'frank-1' });
    const sockets = await Promise.all(cluster.gateways.map((gateway) => connectSocket(gateway.url, { token })));
    const ended = sockets.map((socket) => nextEvent(socket, 'session:ended'));
    const gone = sockets.map((socket) => disconnected(socket));
    const message = createExternalUserLoggedOut(provider.issuer, { subject: 'frank', providerSessionId: 'frank-1' }, 'provider_logout');
    await commands.set(redisKeys.externalSessionEnded(externalSessionId(provider.issuer, 'frank-1')), message.at, 'EX', 3660);
    await commands.publish(USER_LOGGED_OUT_CHANNEL, JSON.stringify(message));
    expect((await Promise.all(ended)).map((payload) => payload.reason)).toEqual(['provider_logout', 'provider_logout']);
    await Promise.all(gone);
    for (const gateway of cluster.gateways) expect((await connectError(gateway.url, { token })).data?.code).toBe('SESSION_REVOKED');
  });

  it('a bad OIDC_ISSUERS entry stops the gateway at boot, naming the entry and field', async () => {
    const bad = JSON.stringify([entry(), { ...entry(), name: 'hmac', issuer: 'https://idp.example.com', algorithms: ['HS256'] }]);
    const start = cluster.startGateway('gw-bad-oidc', { OIDC_ISSUERS: bad });
    await expect(start).rejects.toThrow(/gateway failed to start[\s\S]*OIDC_ISSUERS\.1\.algorithms\.0: expected one of/);
  });
});
