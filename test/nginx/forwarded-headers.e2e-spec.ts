import type { SessionView } from '@app/contracts';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectError } from '../support/assertions';
import { startCluster, type Cluster } from '../support/cluster';
import { bearer, login, rawRequest, registerUser, request, type LoggedIn } from '../support/http';
import { startNginx, type Nginx } from '../support/nginx';
import { closeAllSockets, connectError, connectSocket } from '../support/sockets';

const LOGINS_PER_IP = 3;
const HANDSHAKES_PER_IP = 3;
const PASSWORD = 'correct horse battery';

/** A client asking to switch protocols: only the gateways speak WebSocket. */
const UPGRADE = ['Upgrade: websocket', 'Connection: upgrade'];

/** What a client sends to pass for another address: the apps trust these only from nginx, which must replace them. */
const spoofing = (n: number) => ({ 'x-forwarded-for': `9.9.9.${n}`, 'x-real-ip': `9.9.9.${n}` });

describe('nginx replaces the client’s X-Forwarded-For and X-Real-IP on every route (the apps trust nginx)', () => {
  let cluster: Cluster;
  let nginx: Nginx;
  /** Logged in through nginx claiming to be 9.9.9.1: the first of this client's LOGINS_PER_IP attempts. */
  let spoofer: LoggedIn;

  beforeAll(async () => {
    cluster = await startCluster({
      gateways: 1,
      env: { LOGIN_LIMIT_PER_IP: String(LOGINS_PER_IP) },
      // A window far longer than the test, so the limit cannot reset in the middle of it on a slow machine.
      gatewayEnv: { HANDSHAKE_LIMIT_PER_IP: String(HANDSHAKES_PER_IP), HANDSHAKE_LIMIT_WINDOW: '600' },
    });
    nginx = await startNginx(cluster);
    await registerUser(nginx.url, 'spoofer', PASSWORD);
    spoofer = await login(nginx.url, 'spoofer', PASSWORD, spoofing(1));
  }, 90_000);

  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await nginx?.stop();
    await cluster?.cleanup();
  }, 60_000);

  it('the session records the real peer address, not the one claimed in the headers', async () => {
    const sessions = await request<SessionView[]>(nginx.url, 'GET', '/auth/sessions', { headers: bearer(spoofer.accessToken) });

    expect(sessions.status).toBe(200);
    expect(sessions.body.map((session) => session.ip)).toEqual(['127.0.0.1']);
  });

  it('a client claiming a new address on every login still hits the per-IP login limit', async () => {
    for (let attempt = 2; attempt <= LOGINS_PER_IP; attempt++) await login(nginx.url, 'spoofer', PASSWORD, spoofing(attempt));

    const limited = await request(nginx.url, 'POST', '/auth/login', { json: { username: 'spoofer', password: PASSWORD }, headers: spoofing(LOGINS_PER_IP + 1) });

    expectError(limited, 429, 'RATE_LIMITED');
  });

  it('an Upgrade a client sends to an auth route gets auth’s ordinary answer', async () => {
    const jwks = await rawRequest<{ keys: unknown[] }>(nginx.url, ['GET /.well-known/jwks.json HTTP/1.1', `Host: 127.0.0.1:${nginx.port}`, ...UPGRADE]);

    expect({ status: jwks.status, keys: jwks.body.keys.length }).toEqual({ status: 200, keys: 1 });
  });

  it('a client claiming a new address on every Socket.IO handshake still hits the per-IP handshake limit', async () => {
    for (let attempt = 1; attempt <= HANDSHAKES_PER_IP; attempt++) {
      (await connectSocket(nginx.url, { token: spoofer.accessToken, headers: spoofing(attempt) })).close();
    }

    const refused = await connectError(nginx.url, { token: spoofer.accessToken, headers: spoofing(HANDSHAKES_PER_IP + 1) });

    expect(refused.data?.code).toBe('RATE_LIMITED');
  });
});

/** A server that answers every request with the headers it arrived with. */
async function startHeaderEcho(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((incoming, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(incoming.headers));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Neither app exposes the Upgrade or X-Forwarded-Host it receives, so a server that echoes its request headers
// takes the place of auth and the gateways: what is under test here is nginx's config, not the apps.
describe('the headers nginx sends upstream, as a server in the apps’ place receives them', () => {
  let echo: Awaited<ReturnType<typeof startHeaderEcho>>;
  let nginx: Nginx;

  beforeAll(async () => {
    echo = await startHeaderEcho();
    nginx = await startNginx({ authUrl: echo.url, gateways: [{ url: echo.url }] }, { oidcProviderAddress: new URL(echo.url).host });
  });

  afterAll(async () => {
    await nginx?.stop();
    await echo?.close();
  });

  it('Upgrade and Connection: upgrade reach the gateways only; X-Forwarded-Host is always nginx’s own (with the port for the provider at /idp/)', async () => {
    const paths = ['/auth/login', '/admin/users', '/.well-known/jwks.json', '/health', '/socket.io/?EIO=4&transport=websocket', '/idp/auth'];
    const received: Record<string, Pick<IncomingHttpHeaders, 'upgrade' | 'connection' | 'x-forwarded-host'>> = {};
    for (const path of paths) {
      const { body } = await rawRequest<IncomingHttpHeaders>(nginx.url, [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${nginx.port}`,
        ...UPGRADE,
        'X-Forwarded-Host: evil.example',
      ]);
      received[path] = { upgrade: body.upgrade, connection: body.connection, 'x-forwarded-host': body['x-forwarded-host'] };
    }

    const toAuth = { upgrade: undefined, connection: undefined, 'x-forwarded-host': '127.0.0.1' };
    expect(received).toEqual({
      '/auth/login': toAuth,
      '/admin/users': toAuth,
      '/.well-known/jwks.json': toAuth,
      '/health': toAuth,
      '/socket.io/?EIO=4&transport=websocket': { upgrade: 'websocket', connection: 'upgrade', 'x-forwarded-host': '127.0.0.1' },
      // The local OpenID Provider builds its URLs from it: the Host the client sent, with its port.
      '/idp/auth': { ...toAuth, 'x-forwarded-host': `127.0.0.1:${nginx.port}` },
    });
  });
});
