import type { SessionView } from '@app/contracts';
import { expectError } from '../support/assertions';
import { startCluster, type Cluster } from '../support/cluster';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';
import { startNginx, type Nginx } from '../support/nginx';
import { closeAllSockets, connectError, connectSocket } from '../support/sockets';

const LOGINS_PER_IP = 3;
const HANDSHAKES_PER_IP = 3;
const PASSWORD = 'correct horse battery';

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

  it('a client claiming a new address on every Socket.IO handshake still hits the per-IP handshake limit', async () => {
    for (let attempt = 1; attempt <= HANDSHAKES_PER_IP; attempt++) {
      (await connectSocket(nginx.url, { token: spoofer.accessToken, headers: spoofing(attempt) })).close();
    }

    const refused = await connectError(nginx.url, { token: spoofer.accessToken, headers: spoofing(HANDSHAKES_PER_IP + 1) });

    expect(refused.data?.code).toBe('RATE_LIMITED');
  });
});
