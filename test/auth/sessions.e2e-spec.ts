import type { SessionView } from '@app/contracts';
import { expectError, SESSION_ID } from '../support/assertions';
import type { AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, login, registerUser, request } from '../support/http';

describe('/auth/sessions: a user’s own sessions', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth());
  });

  afterAll(() => cleanup?.());

  const listSessions = (headers: Record<string, string>) => request<SessionView[]>(auth.baseUrl, 'GET', '/auth/sessions', { headers });
  const me = (headers: Record<string, string>) => request(auth.baseUrl, 'GET', '/auth/me', { headers });

  it('lists the live sessions, oldest first, with the current one marked', async () => {
    await registerUser(auth.baseUrl, 'sessions-alice');
    const laptop = await login(auth.baseUrl, 'sessions-alice', undefined, { 'user-agent': 'laptop-browser' });
    const phone = await login(auth.baseUrl, 'sessions-alice', undefined, { 'user-agent': 'phone-app' });

    const response = await listSessions(bearer(phone.accessToken));

    expect(response.status).toBe(200);
    const view = (sessionId: string, userAgent: string, current: boolean) => ({
      sessionId,
      userAgent,
      current,
      ip: expect.any(String),
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      lastSeenAt: expect.any(String),
    });
    expect(response.body).toEqual([view(laptop.sessionId, 'laptop-browser', false), view(phone.sessionId, 'phone-app', true)]);
    for (const session of response.body) {
      expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.parse(session.createdAt));
    }
    const fromLaptop = await listSessions({ cookie: laptop.cookie });
    expect(fromLaptop.body.map(({ sessionId, current }) => ({ sessionId, current }))).toEqual([
      { sessionId: laptop.sessionId, current: true },
      { sessionId: phone.sessionId, current: false },
    ]);
  });

  it('does not list a session once it has ended', async () => {
    await registerUser(auth.baseUrl, 'sessions-bob');
    const kept = await login(auth.baseUrl, 'sessions-bob');
    const ended = await login(auth.baseUrl, 'sessions-bob');
    expect((await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(ended.accessToken) })).status).toBe(204);

    const response = await listSessions(bearer(kept.accessToken));

    expect(response.body.map((session) => session.sessionId)).toEqual([kept.sessionId]);
  });

  it('DELETE /auth/sessions/:id ends another session of the caller: 204, that session refused, the caller’s still alive', async () => {
    await registerUser(auth.baseUrl, 'sessions-carol');
    const current = await login(auth.baseUrl, 'sessions-carol');
    const other = await login(auth.baseUrl, 'sessions-carol');

    const response = await request(auth.baseUrl, 'DELETE', `/auth/sessions/${other.sessionId}`, { headers: bearer(current.accessToken) });

    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([]);
    expectError(await me(bearer(other.accessToken)), 401, 'SESSION_REVOKED');
    expectError(await me({ cookie: other.cookie }), 401, 'SESSION_REVOKED');
    expect((await me(bearer(current.accessToken))).status).toBe(200);
    expect((await listSessions(bearer(current.accessToken))).body.map((session) => session.sessionId)).toEqual([current.sessionId]);
  });

  it('DELETE of the current session ends it and clears the cookie', async () => {
    await registerUser(auth.baseUrl, 'sessions-dave');
    const session = await login(auth.baseUrl, 'sessions-dave');

    const response = await request(auth.baseUrl, 'DELETE', `/auth/sessions/${session.sessionId}`, {
      headers: { cookie: session.cookie, origin: 'http://localhost:8080' },
    });

    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^sid=;/)]);
    expectError(await me({ cookie: session.cookie }), 401, 'SESSION_REVOKED');
  });

  it('DELETE of another user’s session id is 404 NOT_FOUND and leaves that session alive', async () => {
    await registerUser(auth.baseUrl, 'sessions-erin');
    await registerUser(auth.baseUrl, 'sessions-mallory');
    const victim = await login(auth.baseUrl, 'sessions-erin');
    const attacker = await login(auth.baseUrl, 'sessions-mallory');

    const response = await request(auth.baseUrl, 'DELETE', `/auth/sessions/${victim.sessionId}`, { headers: bearer(attacker.accessToken) });

    expectError(response, 404, 'NOT_FOUND');
    expect((await me(bearer(victim.accessToken))).status).toBe(200);
    expect((await listSessions(bearer(victim.accessToken))).body.map((session) => session.sessionId)).toEqual([victim.sessionId]);
  });

  it('DELETE of an unknown session id is 404 NOT_FOUND; of a malformed id, 400 INVALID_INPUT', async () => {
    await registerUser(auth.baseUrl, 'sessions-frank');
    const session = await login(auth.baseUrl, 'sessions-frank');
    const unknown = 'A'.repeat(24);
    expect(unknown).toMatch(SESSION_ID);

    expectError(await request(auth.baseUrl, 'DELETE', `/auth/sessions/${unknown}`, { headers: bearer(session.accessToken) }), 404, 'NOT_FOUND');
    for (const malformed of ['short', 'A'.repeat(25), 'AAAAAAAAAAAAAAAAAAAAAA%2F%2F', '%00'.repeat(24)]) {
      expectError(await request(auth.baseUrl, 'DELETE', `/auth/sessions/${malformed}`, { headers: bearer(session.accessToken) }), 400, 'INVALID_INPUT');
    }
    expect((await me(bearer(session.accessToken))).status).toBe(200);
  });

  it('requires credentials: 401 UNAUTHORIZED for list and delete without them', async () => {
    expectError(await listSessions({}), 401, 'UNAUTHORIZED');
    expectError(await request(auth.baseUrl, 'DELETE', `/auth/sessions/${'A'.repeat(24)}`), 401, 'UNAUTHORIZED');
  });
});
