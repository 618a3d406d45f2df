import type { LoginResponse, SessionView } from '@app/contracts';
import { expectError } from '../support/assertions';
import { TEST_AUTH_ENV, type AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, registerUser, request, type JsonResponse } from '../support/http';

const PASSWORD = 'correct horse battery';
const FAILURES_PER_CLIENT = 3;
const CEILING = 7;
/** As long as the per-client window, so one client can fail at most 2 × 3 = 6 < 7 times within it (the config enforces that). */
const CEILING_WINDOW_SECONDS = 900;
const { ADMIN_USERNAME, ADMIN_PASSWORD } = TEST_AUTH_ENV;

// Every client is its own loopback address (Linux routes all of 127/8 to lo) and sends no X-Forwarded-For, so
// the app sees the real source address of the connection.
describe(`login abuse: failed attempts per username from one client (LOGIN_LIMIT_PER_USERNAME=${FAILURES_PER_CLIENT}) and from all (LOGIN_LIMIT_USERNAME_CEILING=${CEILING})`, () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;
  let lastOctet = 1;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth({
      env: {
        LOGIN_LIMIT_PER_USERNAME: String(FAILURES_PER_CLIENT),
        LOGIN_LIMIT_USERNAME_CEILING: String(CEILING),
        LOGIN_LIMIT_USERNAME_CEILING_WINDOW: String(CEILING_WINDOW_SECONDS),
      },
    }));
  });

  afterAll(() => cleanup?.());

  /** A loopback address no earlier attempt came from. */
  const newClient = () => `127.0.0.${++lastOctet}`;

  const attempt = (username: string, password: string, client: string) =>
    request<LoginResponse>(auth.baseUrl, 'POST', '/auth/login', { json: { username, password }, localAddress: client });
  /** An attempt from an IPv6 client: only through X-Forwarded-For (from loopback, which the app trusts), as behind nginx. */
  const attemptFromIpv6 = (username: string, password: string, client: string) =>
    request<LoginResponse>(auth.baseUrl, 'POST', '/auth/login', { json: { username, password }, headers: { 'x-forwarded-for': client } });

  function expectRateLimited(response: JsonResponse, windowSeconds: number): void {
    expectError(response, 429, 'RATE_LIMITED');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  }

  const perClientWindow = () => auth.config.loginLimits.windowSeconds;
  const ceilingWindow = () => auth.config.loginLimits.usernameCeiling.windowSeconds;

  /** One wrong password for `username` from each of `count` new addresses, in turn: their statuses. */
  async function oneFailureFromEachNewClient(username: string, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let n = 0; n < count; n++) statuses.push((await attempt(username, 'wrong password', newClient())).status);
    return statuses;
  }

  it('locks a client out of an account after N wrong passwords, even to the right one and in any case, while the owner logs in from another address', async () => {
    const attacker = newClient();
    const owner = newClient();
    for (let failure = 0; failure < FAILURES_PER_CLIENT; failure++) {
      expectError(await attempt(ADMIN_USERNAME, `wrong password ${failure}`, attacker), 401, 'UNAUTHORIZED');
    }
    expectRateLimited(await attempt(ADMIN_USERNAME, 'wrong password again', attacker), perClientWindow());
    expectRateLimited(await attempt(ADMIN_USERNAME, ADMIN_PASSWORD, attacker), perClientWindow());
    expectRateLimited(await attempt(ADMIN_USERNAME.toUpperCase(), ADMIN_PASSWORD, attacker), perClientWindow());

    const ownerLogin = await attempt(ADMIN_USERNAME, ADMIN_PASSWORD, owner);

    expect(ownerLogin.status).toBe(200);
    // The app saw the owner's own address (no forwarded header was involved).
    const sessions = await request<SessionView[]>(auth.baseUrl, 'GET', '/auth/sessions', { headers: bearer(ownerLogin.body.accessToken) });
    expect(sessions.body.find((session) => session.current)?.ip).toBe(owner);
  });

  it('does not lock out other users from the same client', async () => {
    await registerUser(auth.baseUrl, 'limit-bob', PASSWORD);
    await registerUser(auth.baseUrl, 'limit-bystander', PASSWORD);
    const client = newClient();
    for (let failure = 0; failure < FAILURES_PER_CLIENT; failure++) await attempt('limit-bob', 'wrong password', client);
    expectRateLimited(await attempt('limit-bob', PASSWORD, client), perClientWindow());

    expect((await attempt('limit-bystander', PASSWORD, client)).status).toBe(200);
  });

  it('forgets the client’s earlier failures after its successful login', async () => {
    await registerUser(auth.baseUrl, 'limit-carol', PASSWORD);
    const client = newClient();
    for (let failure = 0; failure < FAILURES_PER_CLIENT - 1; failure++) await attempt('limit-carol', 'wrong password', client);
    expect((await attempt('limit-carol', PASSWORD, client)).status).toBe(200);

    for (let failure = 0; failure < FAILURES_PER_CLIENT - 1; failure++) {
      expectError(await attempt('limit-carol', 'wrong password', client), 401, 'UNAUTHORIZED');
    }
    expect((await attempt('limit-carol', PASSWORD, client)).status).toBe(200);
  });

  it('limits an unknown username from one client exactly like a real one (no account enumeration through the limiter)', async () => {
    await registerUser(auth.baseUrl, 'limit-dave', PASSWORD);
    const client = newClient();
    const real: JsonResponse[] = [];
    const unknown: JsonResponse[] = [];
    for (let failure = 0; failure <= FAILURES_PER_CLIENT; failure++) {
      real.push(await attempt('limit-dave', 'wrong password', client));
      unknown.push(await attempt('limit-nobody', 'wrong password', client));
    }

    expect(unknown.map((response) => response.status)).toEqual([401, 401, 401, 429]);
    expect(unknown.map((response) => response.status)).toEqual(real.map((response) => response.status));
    expect(unknown[0].body).toEqual(real[0].body);
    expectRateLimited(unknown[FAILURES_PER_CLIENT], perClientWindow());
  });

  it('bounds guessing spread over many addresses: exactly CEILING wrong passwords get checked, even concurrently; then every new address gets 429, right password or not', async () => {
    await registerUser(auth.baseUrl, 'ceiling-alice', PASSWORD);
    const clients = Array.from({ length: 12 }, newClient);

    const responses = await Promise.all(clients.flatMap((client) => [attempt('ceiling-alice', 'wrong password', client), attempt('ceiling-alice', 'wrong guess', client)]));

    expect(responses.filter((response) => response.status === 401)).toHaveLength(CEILING);
    for (const response of responses.filter((candidate) => candidate.status !== 401)) expectRateLimited(response, ceilingWindow());
    const newcomer = newClient();
    expectRateLimited(await attempt('ceiling-alice', PASSWORD, newcomer), ceilingWindow());
    expectRateLimited(await attempt('ceiling-alice', 'wrong password', newcomer), ceilingWindow());
  });

  it('limits an unknown username across addresses exactly like a real one', async () => {
    await registerUser(auth.baseUrl, 'ceiling-bob', PASSWORD);

    const real = await oneFailureFromEachNewClient('ceiling-bob', CEILING + 2);
    const unknown = await oneFailureFromEachNewClient('ceiling-nobody', CEILING + 2);

    expect(real).toEqual([...Array<number>(CEILING).fill(401), 429, 429]);
    expect(unknown).toEqual(real);
  });

  it('spares the address the owner logged in from: it still logs in once the ceiling is reached, bound only by its own per-client limit', async () => {
    await registerUser(auth.baseUrl, 'ceiling-carol', PASSWORD);
    const usual = newClient();
    expect((await attempt('ceiling-carol', PASSWORD, usual)).status).toBe(200);
    expect(await oneFailureFromEachNewClient('ceiling-carol', CEILING + 1)).toEqual([...Array<number>(CEILING).fill(401), 429]);

    expect((await attempt('ceiling-carol', PASSWORD, usual)).status).toBe(200);

    for (let failure = 0; failure < FAILURES_PER_CLIENT; failure++) {
      expectError(await attempt('ceiling-carol', 'wrong password', usual), 401, 'UNAUTHORIZED');
    }
    expectRateLimited(await attempt('ceiling-carol', PASSWORD, usual), perClientWindow());
  });

  it('counts an IPv6 /64 as one client: failures from its addresses add up, and the owner\'s whole /64 is spared the ceiling', async () => {
    await registerUser(auth.baseUrl, 'ipv6-alice', PASSWORD);
    for (let n = 1; n <= FAILURES_PER_CLIENT; n++) {
      expectError(await attemptFromIpv6('ipv6-alice', 'wrong password', `2001:db8:7:8::${n}`), 401, 'UNAUTHORIZED');
    }
    expectRateLimited(await attemptFromIpv6('ipv6-alice', PASSWORD, '2001:db8:7:8:ffff:ffff:ffff:ffff'), perClientWindow());
    expect((await attemptFromIpv6('ipv6-alice', PASSWORD, '2001:db8:7:9::1')).status).toBe(200);

    // The /64's failures count toward the ceiling too: what is left of it goes to new addresses.
    const leftOfCeiling = CEILING - FAILURES_PER_CLIENT;
    expect(await oneFailureFromEachNewClient('ipv6-alice', leftOfCeiling + 1)).toEqual([...Array<number>(leftOfCeiling).fill(401), 429]);
    expect((await attemptFromIpv6('ipv6-alice', PASSWORD, '2001:0db8:0007:0009:abcd::2')).status).toBe(200);
    expectRateLimited(await attemptFromIpv6('ipv6-alice', PASSWORD, '2001:db8:7:a::1'), ceilingWindow());
  });

  it.each([
    ['logout-all', async (session: LoginResponse) => request(auth.baseUrl, 'POST', '/auth/logout-all', { headers: bearer(session.accessToken) })],
    [
      'an admin revoke',
      async (session: LoginResponse) => {
        const admin = await attempt(ADMIN_USERNAME, ADMIN_PASSWORD, newClient());
        return request(auth.baseUrl, 'POST', `/admin/users/${session.user.id}/revoke`, { headers: bearer(admin.body.accessToken) });
      },
    ],
  ])('forgets the addresses the account logged in from when %s ends all its sessions: they wait for the ceiling like any other', async (label, endAll) => {
    const username = `forget-${label.replace(/[^a-z]/g, '')}`;
    await registerUser(auth.baseUrl, username, PASSWORD);
    const usual = newClient();
    const login = await attempt(username, PASSWORD, usual);
    expect(login.status).toBe(200);
    expect((await endAll(login.body)).status).toBeLessThan(300);

    expect(await oneFailureFromEachNewClient(username, CEILING + 1)).toEqual([...Array<number>(CEILING).fill(401), 429]);

    expectRateLimited(await attempt(username, PASSWORD, usual), ceilingWindow());
  });
});
