import { expectError } from '../support/assertions';
import { startAuthApp, type AuthApp } from '../support/auth-app';
import { registerUser, request, type JsonResponse } from '../support/http';
import { startRedisServer, type RedisServer } from '../support/redis-server';

const PASSWORD = 'correct horse battery';
const FAILURES_ALLOWED = 3;

describe('login abuse: failed attempts per username (LOGIN_LIMIT_PER_USERNAME=3)', () => {
  let redis: RedisServer;
  let auth: AuthApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    auth = await startAuthApp(redis.url, { LOGIN_LIMIT_PER_USERNAME: String(FAILURES_ALLOWED) });
  });

  afterAll(async () => {
    await auth?.close();
    await redis?.cleanup();
  });

  const attempt = (username: string, password: string, ip = '198.51.100.1') =>
    request(auth.baseUrl, 'POST', '/auth/login', { json: { username, password }, headers: { 'x-forwarded-for': ip } });

  function expectRateLimited(response: JsonResponse): void {
    expectError(response, 429, 'RATE_LIMITED');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(auth.config.loginLimits.windowSeconds);
  }

  it('after N wrong passwords answers 429 RATE_LIMITED with Retry-After, even to the right password, from any IP, in any case', async () => {
    await registerUser(auth.baseUrl, 'limit-alice', PASSWORD);
    for (let failure = 0; failure < FAILURES_ALLOWED; failure++) {
      expectError(await attempt('limit-alice', `wrong password ${failure}`), 401, 'UNAUTHORIZED');
    }

    expectRateLimited(await attempt('limit-alice', PASSWORD));
    expectRateLimited(await attempt('limit-alice', 'wrong password again'));
    expectRateLimited(await attempt('limit-alice', PASSWORD, '198.51.100.99'));
    expectRateLimited(await attempt('LIMIT-ALICE', PASSWORD));
  });

  it('does not lock out other users from the same IP', async () => {
    await registerUser(auth.baseUrl, 'limit-bob', PASSWORD);
    await registerUser(auth.baseUrl, 'limit-bystander', PASSWORD);
    for (let failure = 0; failure < FAILURES_ALLOWED; failure++) await attempt('limit-bob', 'wrong password');
    expectRateLimited(await attempt('limit-bob', PASSWORD));

    expect((await attempt('limit-bystander', PASSWORD)).status).toBe(200);
  });

  it('forgets earlier failures after a successful login', async () => {
    await registerUser(auth.baseUrl, 'limit-carol', PASSWORD);
    for (let failure = 0; failure < FAILURES_ALLOWED - 1; failure++) await attempt('limit-carol', 'wrong password');
    expect((await attempt('limit-carol', PASSWORD)).status).toBe(200);

    for (let failure = 0; failure < FAILURES_ALLOWED - 1; failure++) {
      expectError(await attempt('limit-carol', 'wrong password'), 401, 'UNAUTHORIZED');
    }
    expect((await attempt('limit-carol', PASSWORD)).status).toBe(200);
  });

  it('limits an unknown username exactly like a real one (no account enumeration through the limiter)', async () => {
    await registerUser(auth.baseUrl, 'limit-dave', PASSWORD);
    const real: JsonResponse[] = [];
    const unknown: JsonResponse[] = [];
    for (let failure = 0; failure <= FAILURES_ALLOWED; failure++) {
      real.push(await attempt('limit-dave', 'wrong password'));
      unknown.push(await attempt('limit-nobody', 'wrong password'));
    }

    expect(unknown.map((response) => response.status)).toEqual([401, 401, 401, 429]);
    expect(unknown.map((response) => response.status)).toEqual(real.map((response) => response.status));
    expect(unknown[0].body).toEqual(real[0].body);
    expectRateLimited(unknown[FAILURES_ALLOWED]);
  });
});
