import type { LoginResponse, MeResponse } from '@app/contracts';
import { expectError, SESSION_ID } from '../support/assertions';
import type { AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, login, registerUser, request, sessionCookieOf, type LoggedIn } from '../support/http';

describe('login, the session cookie and /auth/me', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth());
  });

  afterAll(() => cleanup?.());

  const postLogin = (username: string, headers: Record<string, string> = {}) =>
    request<LoginResponse>(auth.baseUrl, 'POST', '/auth/login', { json: { username, password: 'correct horse battery' }, headers });

  it('answers 200 with tokens, session id and user', async () => {
    const user = await registerUser(auth.baseUrl, 'login-alice');

    const response = await postLogin('login-alice');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.any(String),
      expiresIn: auth.config.accessTokenTtlSeconds,
      sessionId: expect.stringMatching(SESSION_ID),
      user: { id: user.id, username: 'login-alice', roles: ['user'] },
    });
    expect(response.body.refreshToken).not.toBe(response.body.accessToken);
  });

  it('sets an HttpOnly, SameSite=Lax, Path=/ cookie named "sid", without Secure, when COOKIE_SECURE=false', async () => {
    await registerUser(auth.baseUrl, 'login-bob');

    const response = await postLogin('login-bob');

    const cookie = sessionCookieOf(response.headers);
    expect(cookie.name).toBe('sid');
    expect(cookie.value).toContain(response.body.sessionId);
    expect(cookie.attributes).toMatchObject({ httponly: true, samesite: 'Lax', path: '/' });
    expect(cookie.attributes).not.toHaveProperty('secure');
    expect(cookie.attributes).not.toHaveProperty('domain');
  });

  it('gives every login a new session id, even when the request presents an existing session cookie', async () => {
    await registerUser(auth.baseUrl, 'login-dave');
    const first = await login(auth.baseUrl, 'login-dave');

    const second = await postLogin('login-dave', { cookie: first.cookie });

    expect(second.status).toBe(200);
    expect(second.body.sessionId).toMatch(SESSION_ID);
    expect(second.body.sessionId).not.toBe(first.sessionId);
    const cookie = sessionCookieOf(second.headers);
    expect(`${cookie.name}=${cookie.value}`).not.toBe(first.cookie);
    expect(cookie.value).toContain(second.body.sessionId);
  });

  it('GET /auth/me answers {id, username, roles, sessionId} with the bearer token and with the cookie alone', async () => {
    const user = await registerUser(auth.baseUrl, 'login-erin');
    const session = await login(auth.baseUrl, 'login-erin');
    const expected = { id: user.id, username: 'login-erin', roles: ['user'], sessionId: session.sessionId };

    const withBearer = await request<MeResponse>(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(session.accessToken) });
    const withCookie = await request<MeResponse>(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: session.cookie } });

    for (const response of [withBearer, withCookie]) {
      expect({ status: response.status, body: response.body }).toMatchObject({ status: 200, body: expected });
      // Whatever else /auth/me grows to include, never the stored secrets.
      expect(JSON.stringify(response.body)).not.toMatch(/passwordHash|cookieHash|refreshHash|\$argon2/);
    }
  });

  it('GET /auth/me without credentials is 401 UNAUTHORIZED', async () => {
    expectError(await request(auth.baseUrl, 'GET', '/auth/me'), 401, 'UNAUTHORIZED');
  });

  it('does not let a valid cookie rescue an invalid bearer token', async () => {
    await registerUser(auth.baseUrl, 'login-frank');
    const session = await login(auth.baseUrl, 'login-frank');

    const response = await request(auth.baseUrl, 'GET', '/auth/me', { headers: { ...bearer('not-a-token'), cookie: session.cookie } });

    expectError(response, 401, 'UNAUTHORIZED');
  });

  it('refuses a malformed cookie (UNAUTHORIZED) and a cookie with a wrong secret (SESSION_REVOKED)', async () => {
    await registerUser(auth.baseUrl, 'login-grace');
    const session = await login(auth.baseUrl, 'login-grace');
    const [name, value] = session.cookie.split('=');
    const [userId, sessionId] = value.split('.');

    expectError(await request(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: `${name}=garbage` } }), 401, 'UNAUTHORIZED');
    const forged = `${name}=${userId}.${sessionId}.${'A'.repeat(43)}`;
    expectError(await request(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: forged } }), 401, 'SESSION_REVOKED');
    expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: session.cookie } })).status).toBe(200);
  });

  describe('logout proves the caller\'s session in its own session-end script', () => {
    it('refuses a logout and a logout-all with the token of an ended session: 401 SESSION_REVOKED, the user\'s other sessions live on', async () => {
      await registerUser(auth.baseUrl, 'logout-ended');
      const ended = await login(auth.baseUrl, 'logout-ended');
      const other = await login(auth.baseUrl, 'logout-ended');
      expect((await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(ended.accessToken) })).status).toBe(204);

      expectError(await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(ended.accessToken) }), 401, 'SESSION_REVOKED');
      expectError(await request(auth.baseUrl, 'POST', '/auth/logout-all', { headers: bearer(ended.accessToken) }), 401, 'SESSION_REVOKED');
      expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(other.accessToken) })).status).toBe(200);
    });

    it('refuses a logout-all with a forged cookie secret: 401 SESSION_REVOKED, nothing ends', async () => {
      await registerUser(auth.baseUrl, 'logout-forged');
      const session = await login(auth.baseUrl, 'logout-forged');
      const [name, value] = session.cookie.split('=');
      const [userId, sessionId] = value.split('.');
      const forged = `${name}=${userId}.${sessionId}.${'A'.repeat(43)}`;

      expectError(await request(auth.baseUrl, 'POST', '/auth/logout-all', { headers: { cookie: forged, origin: 'http://localhost:8080' } }), 401, 'SESSION_REVOKED');
      expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: session.cookie } })).status).toBe(200);
    });
  });

  describe('cookie CSRF defence', () => {
    it.each(['https://evil.example', 'null', 'http://localhost:8081'])(
      'refuses a cookie-authenticated POST /auth/logout from Origin %s with 403 ORIGIN_NOT_ALLOWED; the session lives on',
      async (origin) => {
        const username = `csrf-${origin.replace(/[^a-z0-9]/g, '')}`;
        await registerUser(auth.baseUrl, username);
        const session = await login(auth.baseUrl, username);

        const response = await request(auth.baseUrl, 'POST', '/auth/logout', { headers: { cookie: session.cookie, origin } });

        expectError(response, 403, 'ORIGIN_NOT_ALLOWED');
        expect(response.headers.getSetCookie()).toEqual([]);
        expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: session.cookie } })).status).toBe(200);
        expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(session.accessToken) })).status).toBe(200);
      },
    );

    it('accepts a cookie-authenticated POST /auth/logout from an allowed Origin: 204, cookie cleared, session ended', async () => {
      await registerUser(auth.baseUrl, 'csrf-allowed');
      const session = await login(auth.baseUrl, 'csrf-allowed');

      const response = await request(auth.baseUrl, 'POST', '/auth/logout', { headers: { cookie: session.cookie, origin: 'http://localhost:8080' } });

      expect(response.status).toBe(204);
      const cleared = sessionCookieOf(response.headers);
      expect(cleared).toMatchObject({ name: 'sid', value: '', attributes: { path: '/', httponly: true } });
      expect(new Date(String(cleared.attributes.expires)).getTime()).toBeLessThan(Date.now());
      expectError(await request(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: session.cookie } }), 401, 'SESSION_REVOKED');
    });

    type StateChange = [route: string, method: string, path: (other: LoggedIn) => string];
    const cookieStateChanges: StateChange[] = [
      ['POST /auth/logout-all', 'POST', () => '/auth/logout-all'],
      ['DELETE /auth/sessions/:id', 'DELETE', (other) => `/auth/sessions/${other.sessionId}`],
    ];
    const unproven: Array<[proof: string, headers: Record<string, string>]> = [
      ['no Origin and no Sec-Fetch-Site', {}],
      ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: none', { 'sec-fetch-site': 'none' }],
      ['a foreign Origin and Sec-Fetch-Site: same-origin', { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }],
    ];
    const proven: Array<[proof: string, headers: Record<string, string>]> = [
      ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }],
      ['an allowed Origin', { origin: 'http://localhost:8080' }],
    ];
    const crossed = (proofs: typeof unproven) =>
      cookieStateChanges.flatMap(([route, method, path]) => proofs.map(([proof, headers]) => [route, proof, method, path, headers] as const));
    let csrfUsers = 0;

    /** A user with two sessions: the caller (whose cookie is sent) and another one. */
    async function twoSessions(): Promise<{ caller: LoggedIn; other: LoggedIn }> {
      const username = `csrf-pair-${++csrfUsers}`;
      await registerUser(auth.baseUrl, username);
      return { caller: await login(auth.baseUrl, username), other: await login(auth.baseUrl, username) };
    }

    it.each(crossed(unproven))('refuses a cookie-authenticated %s with %s: 403 ORIGIN_NOT_ALLOWED, nothing ended', async (_route, _proof, method, path, headers) => {
      const { caller, other } = await twoSessions();

      const response = await request(auth.baseUrl, method, path(other), { headers: { cookie: caller.cookie, ...headers } });

      expectError(response, 403, 'ORIGIN_NOT_ALLOWED');
      expect(response.headers.getSetCookie()).toEqual([]);
      for (const session of [caller, other]) {
        expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(session.accessToken) })).status).toBe(200);
      }
    });

    it.each(crossed(proven))('accepts a cookie-authenticated %s with %s: 204, the session ended', async (_route, _proof, method, path, headers) => {
      const { caller, other } = await twoSessions();

      const response = await request(auth.baseUrl, method, path(other), { headers: { cookie: caller.cookie, ...headers } });

      expect(response.status).toBe(204);
      expectError(await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(other.accessToken) }), 401, 'SESSION_REVOKED');
    });

    it('does not apply the Origin check to bearer-authenticated requests (no ambient credential to abuse)', async () => {
      await registerUser(auth.baseUrl, 'csrf-bearer');
      const session = await login(auth.baseUrl, 'csrf-bearer');

      const response = await request(auth.baseUrl, 'POST', '/auth/logout', { headers: { ...bearer(session.accessToken), origin: 'https://evil.example' } });

      expect(response.status).toBe(204);
    });
  });
});
