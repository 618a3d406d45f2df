import { expectError } from '../support/assertions';
import type { AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { registerUser, request } from '../support/http';

const PASSWORD = 'correct horse battery';
const ATTEMPTS_ALLOWED = 3;

// The app trusts X-Forwarded-For from loopback (TRUST_PROXY=loopback), so each test speaks as its own client IP.
describe('login abuse: every attempt per client IP (LOGIN_LIMIT_PER_IP=3)', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth({ env: { LOGIN_LIMIT_PER_IP: String(ATTEMPTS_ALLOWED) } }));
  });

  afterAll(() => cleanup?.());

  const attempt = (username: string, password: string, ip: string) =>
    request(auth.baseUrl, 'POST', '/auth/login', { json: { username, password }, headers: { 'x-forwarded-for': ip } });

  it('after N attempts from one IP answers 429 RATE_LIMITED with Retry-After, even to the right password', async () => {
    await registerUser(auth.baseUrl, 'ip-alice', PASSWORD);
    await registerUser(auth.baseUrl, 'ip-bob', PASSWORD);
    const ip = '203.0.113.10';
    expect((await attempt('ip-alice', PASSWORD, ip)).status).toBe(200);
    expectError(await attempt('ip-bob', 'wrong password', ip), 401, 'UNAUTHORIZED');
    expect((await attempt('ip-bob', PASSWORD, ip)).status).toBe(200);

    const limited = await attempt('ip-alice', PASSWORD, ip);

    expectError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(auth.config.loginLimits.windowSeconds);
    expect(limited.headers.getSetCookie()).toEqual([]);
    expectError(await attempt('ip-bob', PASSWORD, ip), 429, 'RATE_LIMITED');
  });

  it('limits only that IP: the same users log in from another one', async () => {
    await registerUser(auth.baseUrl, 'ip-carol', PASSWORD);
    for (let attemptNumber = 0; attemptNumber < ATTEMPTS_ALLOWED; attemptNumber++) await attempt('ip-carol', 'wrong password', '203.0.113.20');
    expectError(await attempt('ip-carol', PASSWORD, '203.0.113.20'), 429, 'RATE_LIMITED');

    expect((await attempt('ip-carol', PASSWORD, '203.0.113.21')).status).toBe(200);
  });

  it('counts an IPv6 /64 as one client, whatever the spelling; the next /64 is another client', async () => {
    await registerUser(auth.baseUrl, 'ip-dave', PASSWORD);
    expectError(await attempt('ip-dave', 'wrong password', '2001:db8:1:2::a'), 401, 'UNAUTHORIZED');
    expectError(await attempt('ip-dave', 'wrong password', '2001:db8:1:2:ffff:ffff:ffff:ffff'), 401, 'UNAUTHORIZED');
    expect((await attempt('ip-dave', PASSWORD, '2001:0DB8:0001:0002:0:0:0:b')).status).toBe(200);

    expectError(await attempt('ip-dave', PASSWORD, '2001:db8:1:2:1234::c'), 429, 'RATE_LIMITED');

    expect((await attempt('ip-dave', PASSWORD, '2001:db8:1:3::a')).status).toBe(200);
  });

  it('counts an IPv4 address and its IPv4-mapped IPv6 spelling as one client, and keeps IPv4 per address', async () => {
    await registerUser(auth.baseUrl, 'ip-erin', PASSWORD);
    expect((await attempt('ip-erin', PASSWORD, '203.0.113.40')).status).toBe(200);
    expect((await attempt('ip-erin', PASSWORD, '::ffff:203.0.113.40')).status).toBe(200);
    expect((await attempt('ip-erin', PASSWORD, '::ffff:cb00:7128')).status).toBe(200);

    expectError(await attempt('ip-erin', PASSWORD, '203.0.113.40'), 429, 'RATE_LIMITED');

    expect((await attempt('ip-erin', PASSWORD, '203.0.113.41')).status).toBe(200);
  });
});
