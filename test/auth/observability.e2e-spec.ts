import { TEST_AUTH_ENV, type AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { eventually } from '../support/eventually';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';
import { LogCapture } from '../support/log-capture';
import { MetricsScrape } from '../support/metrics';

const PASSWORD = 'obs-password-that-must-never-be-logged';
const WRONG_PASSWORD = 'obs-wrong-password-that-must-never-be-logged';
const BROKEN_JSON_PASSWORD = 'obs-password-inside-broken-json';

/** The value of one sample in Prometheus text format, or `undefined` when the series is absent. */
function sample(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  const labelText = Object.entries(labels)
    .map(([label, value]) => `${label}="${value}"`)
    .join(',');
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name}{${labelText}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('observability: /metrics counts what happened; logs carry no secret', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;
  const logs = new LogCapture();
  /** The session whose previous refresh token was presented again within the grace window. */
  let graceSession: LoggedIn;
  /** Path parameters the flows sent, which must not become label values. */
  const pathParameters: string[] = [];
  /** Every credential handed out or presented during the flows. */
  const secrets: string[] = [PASSWORD, WRONG_PASSWORD, BROKEN_JSON_PASSWORD, TEST_AUTH_ENV.ADMIN_PASSWORD];

  const post = (path: string, session: LoggedIn, json?: unknown) => request(auth.baseUrl, 'POST', path, { headers: bearer(session.accessToken), json });
  const remember = (session: LoggedIn): LoggedIn => {
    secrets.push(session.accessToken, session.refreshToken, session.refreshToken.split('.')[3], session.cookie.split('=')[1]);
    return session;
  };

  async function logInTimes(username: string, count: number): Promise<LoggedIn[]> {
    const sessions: LoggedIn[] = [];
    for (let n = 0; n < count; n++) sessions.push(remember(await login(auth.baseUrl, username, PASSWORD)));
    return sessions;
  }

  beforeAll(async () => {
    // The longest grace: the replay below lands inside its window however slow the machine.
    ({ auth, cleanup } = await setupAuth({
      env: { LOG_LEVEL: 'debug', LOGIN_LIMIT_PER_USERNAME: '2', REFRESH_REUSE_GRACE: '300' },
      app: { logDestination: logs },
    }));

    // 9 successful logins: alice ×5, carol ×3, the admin.
    await registerUser(auth.baseUrl, 'obs-alice', PASSWORD);
    await registerUser(auth.baseUrl, 'obs-bob', PASSWORD);
    await registerUser(auth.baseUrl, 'obs-carol', PASSWORD);
    const alice = await logInTimes('obs-alice', 5);
    const carol = await logInTimes('obs-carol', 3);
    const admin = remember(await login(auth.baseUrl, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD));

    // 3 invalid credentials (bob ×2, an unknown user), then bob is rate limited once.
    for (const username of ['obs-bob', 'obs-bob', 'obs-nobody']) {
      expect((await request(auth.baseUrl, 'POST', '/auth/login', { json: { username, password: WRONG_PASSWORD } })).status).toBe(401);
    }
    expect((await request(auth.baseUrl, 'POST', '/auth/login', { json: { username: 'obs-bob', password: PASSWORD } })).status).toBe(429);

    // Sessions ended: logout 1, session_revoked 1, refresh_reuse 1, logout_all 2 (alice's last two), admin_revoke 3.
    expect((await post('/auth/logout', alice[0])).status).toBe(204);
    expect((await request(auth.baseUrl, 'DELETE', `/auth/sessions/${alice[1].sessionId}`, { headers: bearer(alice[2].accessToken) })).status).toBe(204);
    const rotated = await request<{ refreshToken: string; accessToken: string }>(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: alice[2].refreshToken } });
    expect(rotated.status).toBe(200);
    secrets.push(rotated.body.refreshToken, rotated.body.accessToken);
    // Rotated twice: the first token is no longer the one rotated away last, which has a grace window.
    const rotatedAgain = await request<{ refreshToken: string; accessToken: string }>(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: rotated.body.refreshToken } });
    expect(rotatedAgain.status).toBe(200);
    secrets.push(rotatedAgain.body.refreshToken, rotatedAgain.body.accessToken);
    // Refreshes: rotated 2, grace 1 (the token rotated away last, again), reuse 1 (the older one), invalid 2.
    const grace = await request<{ refreshToken: string; accessToken: string }>(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: rotated.body.refreshToken } });
    expect(grace.status).toBe(200);
    secrets.push(grace.body.accessToken);
    graceSession = alice[2];
    expect((await request(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: alice[2].refreshToken } })).status).toBe(401);
    const forged = `rt1.${carol[2].user.id}.${carol[2].sessionId}.${'A'.repeat(43)}`;
    for (const refreshToken of ['rt1.garbage', forged]) {
      expect((await request(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken } })).status).toBe(401);
    }
    expect((await post('/auth/logout-all', alice[3])).status).toBe(204);
    expect((await post(`/admin/users/${carol[0].user.id}/revoke`, admin)).status).toBe(200);
    pathParameters.push(alice[1].sessionId, carol[0].user.id);

    // Credentials in places a careless log line would pick up.
    await request(auth.baseUrl, 'GET', `/auth/me?access_token=${admin.accessToken}`, { headers: { cookie: admin.cookie } });
    await request(auth.baseUrl, 'POST', '/auth/login', { rawBody: `{"username":"obs-alice","password":"${BROKEN_JSON_PASSWORD}"` });
  });

  afterAll(() => cleanup?.());

  it('counts logins by result: sessionwire_auth_logins_total{result}', async () => {
    const metrics = await (await fetch(`${auth.baseUrl}/metrics`)).text();

    expect({
      success: sample(metrics, 'sessionwire_auth_logins_total', { result: 'success' }),
      invalid_credentials: sample(metrics, 'sessionwire_auth_logins_total', { result: 'invalid_credentials' }),
      rate_limited: sample(metrics, 'sessionwire_auth_logins_total', { result: 'rate_limited' }),
    }).toEqual({ success: 9, invalid_credentials: 3, rate_limited: 1 });
  });

  it('counts ended sessions by reason: sessionwire_auth_sessions_ended_total{reason}', async () => {
    const response = await fetch(`${auth.baseUrl}/metrics`);
    const metrics = await response.text();

    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const ended = Object.fromEntries(
      ['logout', 'logout_all', 'session_revoked', 'refresh_reuse', 'admin_revoke'].map((reason) => [reason, sample(metrics, 'sessionwire_auth_sessions_ended_total', { reason })]),
    );
    expect(ended).toEqual({ logout: 1, logout_all: 2, session_revoked: 1, refresh_reuse: 1, admin_revoke: 3 });
  });

  it('counts refresh token presentations by result: sessionwire_auth_refreshes_total{result}, the grace answers included', async () => {
    const metrics = await (await fetch(`${auth.baseUrl}/metrics`)).text();

    const refreshes = Object.fromEntries(['rotated', 'grace', 'reuse', 'invalid'].map((result) => [result, sample(metrics, 'sessionwire_auth_refreshes_total', { result })]));
    expect(refreshes).toEqual({ rotated: 2, grace: 1, reuse: 1, invalid: 2 });
  });

  it('times HTTP requests by route template, method and status class: sessionwire_http_request_duration_seconds', async () => {
    const scrape = await MetricsScrape.of(auth.baseUrl);
    const count = (route: string, method: string, status_class: string) =>
      scrape.value('sessionwire_http_request_duration_seconds_count', { route, method, status_class });

    expect({
      revokeOwnSession: count('/auth/sessions/:sessionId', 'DELETE', '2xx'),
      refreshed: count('/auth/refresh', 'POST', '2xx'),
      refreshRefused: count('/auth/refresh', 'POST', '4xx'),
      adminRevoke: count('/admin/users/:userId/revoke', 'POST', '2xx'),
    }).toEqual({ revokeOwnSession: 1, refreshed: 3, refreshRefused: 3, adminRevoke: 1 });
    expect(pathParameters.filter((parameter) => scrape.text.includes(parameter))).toEqual([]);
  });

  it('counts a request its route’s guard refuses under that route, and an unknown path as `unmatched`', async () => {
    const counts = async () => {
      const scrape = await MetricsScrape.of(auth.baseUrl);
      return {
        refused: scrape.value('sessionwire_http_request_duration_seconds_count', { route: '/auth/sessions', method: 'GET', status_class: '4xx' }),
        unmatched: scrape.value('sessionwire_http_request_duration_seconds_count', { route: 'unmatched', method: 'GET', status_class: '4xx' }),
      };
    };
    const before = await counts();
    expect((await request(auth.baseUrl, 'GET', '/auth/sessions')).status).toBe(401);
    expect((await request(auth.baseUrl, 'GET', '/auth/no-such-route')).status).toBe(404);
    // Observed when the response has been flushed, which may come after the client has it.
    await eventually(async () => expect(await counts()).toEqual({ refused: before.refused + 1, unmatched: before.unmatched + 1 }));
  });

  it('logs each grace answer once, with the user and session ids and no token', () => {
    const graceLines = logs.entries().filter((entry) => typeof entry.msg === 'string' && entry.msg.startsWith('Refresh reuse grace'));

    expect(graceLines).toEqual([expect.objectContaining({ level: 30, context: 'AuthService', userId: graceSession.user.id, sessionId: graceSession.sessionId })]);
  });

  it('logged every request, and never a password, token, refresh secret or cookie secret', () => {
    const entries = logs.entries();
    const requestUrls = entries.map((entry) => (entry.req as { url?: string } | undefined)?.url).filter(Boolean);
    expect(requestUrls).toEqual(expect.arrayContaining(['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout', '/auth/me']));

    // Login responses are logged with their headers: the session cookie is there, redacted.
    const loginHeaders = entries
      .filter((entry) => (entry.req as { url?: string } | undefined)?.url === '/auth/login')
      .map((entry) => (entry.res as { headers?: Record<string, unknown> } | undefined)?.headers ?? {});
    expect(loginHeaders).toContainEqual(expect.objectContaining({ 'set-cookie': '[redacted]' }));

    const text = logs.text();
    const leaked = secrets.filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
    expect(secrets.length).toBeGreaterThan(30);
  });
});
