import type { MeResponse, SessionView, TokenPair } from '@app/contracts';
import { REDIS_CLIENT } from '@app/redis';
import type { Redis } from 'ioredis';
import { expectError } from '../support/assertions';
import type { AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { eventually } from '../support/eventually';
import { bearer, login, registerUser, request, type JsonResponse, type LoggedIn } from '../support/http';
import type { RedisServer } from '../support/redis-server';

const PASSWORD = 'correct horse battery';

/** Resolves when the app's own Redis connection is ready again (it reconnects by itself), or fails after `timeoutMs`. */
function redisReady(client: Redis, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`the auth app's Redis connection was not ready again within ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

describe('Redis stopped and restarted under the running auth app', () => {
  let redis: RedisServer;
  let auth: AuthApp;
  let cleanup: () => Promise<void>;
  let alice: { id: string };
  let session: LoggedIn;

  beforeAll(async () => {
    // Short, so that a frozen Redis shows within a probe.
    ({ redis, auth, cleanup } = await setupAuth({ env: { REDIS_COMMAND_TIMEOUT_MS: '500' } }));
    alice = await registerUser(auth.baseUrl, 'outage-alice', PASSWORD);
    session = await login(auth.baseUrl, 'outage-alice', PASSWORD);
  });

  afterAll(() => cleanup?.());

  function expectUnavailable(response: JsonResponse): void {
    expectError(response, 503, 'UNAVAILABLE');
    expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  }

  interface ReadinessBody {
    status: string;
    redis: string;
  }

  /** Status and body of `path`, for one assertion that shows both. */
  async function probe(path: string): Promise<{ status: number; body: unknown }> {
    const { status, body } = await request(auth.baseUrl, 'GET', path);
    return { status, body };
  }

  describe('while Redis is frozen (SIGSTOP: the connection stays open, nothing answers)', () => {
    beforeAll(() => redis.signal('SIGSTOP'));
    afterAll(async () => {
      await redis.signal('SIGCONT');
      await eventually(async () => expect((await probe('/health/ready')).status).toBe(200));
    });

    it('/health/ready and /health answer 503 once the PING times out (the connection still looks ready); /health/live stays 200', async () => {
      expect(await probe('/health/ready')).toEqual({ status: 503, body: { status: 'not_ready', redis: 'unresponsive' } });
      expect(await probe('/health')).toEqual({ status: 503, body: { status: 'degraded', redis: 'unresponsive' } });
      expect(await probe('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    });
  });

  describe('while Redis is down', () => {
    beforeAll(async () => {
      await redis.stop();
    });

    it('register answers 503 UNAVAILABLE with Retry-After', async () => {
      expectUnavailable(await request(auth.baseUrl, 'POST', '/auth/register', { json: { username: 'outage-bob', password: PASSWORD } }));
    });

    it('login answers 503 UNAVAILABLE with Retry-After', async () => {
      expectUnavailable(await request(auth.baseUrl, 'POST', '/auth/login', { json: { username: 'outage-alice', password: PASSWORD } }));
    });

    it('/auth/me answers 503 UNAVAILABLE (not 401: the session may well be alive), with the token and with the cookie', async () => {
      expectUnavailable(await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(session.accessToken) }));
      expectUnavailable(await request(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: session.cookie } }));
    });

    it('refresh and logout answer 503 UNAVAILABLE', async () => {
      expectUnavailable(await request(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: session.refreshToken } }));
      expectUnavailable(await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(session.accessToken) }));
    });

    it('/health answers 503 {status: "degraded"}', async () => {
      const response = await request<{ status: string; redis: string }>(auth.baseUrl, 'GET', '/health');

      expect(response.status).toBe(503);
      expect(response.body).toEqual({ status: 'degraded', redis: expect.any(String) });
      expect(response.body.redis).not.toBe('ready');
    });

    it('/health/live stays 200 (it asks nothing of Redis); /health/ready answers 503 naming Redis', async () => {
      expect(await probe('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
      const ready = await request<ReadinessBody>(auth.baseUrl, 'GET', '/health/ready');

      expect({ status: ready.status, body: ready.body }).toEqual({ status: 503, body: { status: 'not_ready', redis: expect.any(String) } });
      expect(ready.body.redis).not.toBe('ready');
    });

    it('keeps answering what needs no Redis: the JWKS and still-validated input', async () => {
      expect((await request(auth.baseUrl, 'GET', '/.well-known/jwks.json')).status).toBe(200);
      expectError(await request(auth.baseUrl, 'POST', '/auth/login', { json: { username: 'x' } }), 400, 'INVALID_INPUT');
      expectError(await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer('garbage') }), 401, 'UNAUTHORIZED');
    });
  });

  describe('after Redis is back', () => {
    beforeAll(async () => {
      await redis.start();
      await redisReady(auth.app.get<Redis>(REDIS_CLIENT));
    });

    it('/health is 200 {status: "ok"} again, without a restart of the app', async () => {
      const response = await request(auth.baseUrl, 'GET', '/health');

      expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { status: 'ok', redis: 'ready' } });
    });

    it('/health/ready is 200 {status: "ready"} again, and /health/live still 200', async () => {
      expect(await probe('/health/ready')).toEqual({ status: 200, body: { status: 'ready', redis: 'ready' } });
      expect(await probe('/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
    });

    it('the session created before the outage still works, with its token, its cookie and its refresh token', async () => {
      const withToken = await request<MeResponse>(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(session.accessToken) });
      const withCookie = await request<MeResponse>(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: session.cookie } });
      const sessions = await request<SessionView[]>(auth.baseUrl, 'GET', '/auth/sessions', { headers: bearer(session.accessToken) });
      const refreshed = await request<TokenPair>(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: session.refreshToken } });

      expect({ status: withToken.status, body: withToken.body }).toMatchObject({ status: 200, body: { id: alice.id, sessionId: session.sessionId } });
      expect({ status: withCookie.status, body: withCookie.body }).toMatchObject({ status: 200, body: { id: alice.id, sessionId: session.sessionId } });
      expect(sessions.body.map(({ sessionId, current }) => ({ sessionId, current }))).toEqual([{ sessionId: session.sessionId, current: true }]);
      expect(refreshed.status).toBe(200);
    });

    it('the user registered before the outage logs in with the same id', async () => {
      const again = await login(auth.baseUrl, 'outage-alice', PASSWORD);

      expect(again.user.id).toBe(alice.id);
    });

    it('the registration refused during the outage left nothing behind: the name is free', async () => {
      const response = await request(auth.baseUrl, 'POST', '/auth/register', { json: { username: 'outage-bob', password: PASSWORD } });

      expect(response.status).toBe(201);
      expect((await login(auth.baseUrl, 'outage-bob', PASSWORD)).user.username).toBe('outage-bob');
    });
  });
});
