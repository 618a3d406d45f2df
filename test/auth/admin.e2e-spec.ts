import type { SessionView } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import { expectError } from '../support/assertions';
import { TEST_AUTH_ENV, type AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';

/** No gateway runs in these suites: a confirmed revocation has nobody to wait for. */
const noGateways = { closedSockets: 0, nodes: [], unconfirmedNodes: [] };

describe('/admin/users/:userId', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;
  let admin: LoggedIn;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth());
    admin = await login(auth.baseUrl, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
  });

  afterAll(() => cleanup?.());

  const revoke = (userId: string, headers: Record<string, string>) => request(auth.baseUrl, 'POST', `/admin/users/${userId}/revoke`, { headers });
  const sessionsOf = (userId: string, headers: Record<string, string>) =>
    request<SessionView[]>(auth.baseUrl, 'GET', `/admin/users/${userId}/sessions`, { headers });

  it('the bootstrap admin (ADMIN_USERNAME / ADMIN_PASSWORD) logs in with the admin role', () => {
    expect(admin.user).toEqual({ id: expect.any(String), username: TEST_AUTH_ENV.ADMIN_USERNAME, roles: ['user', 'admin'] });
  });

  it('GET sessions lists the user’s live sessions (no "current" marker: they are not the admin’s)', async () => {
    const user = await registerUser(auth.baseUrl, 'admin-list-target');
    const first = await login(auth.baseUrl, 'admin-list-target', undefined, { 'user-agent': 'first-device' });
    const second = await login(auth.baseUrl, 'admin-list-target', undefined, { 'user-agent': 'second-device' });

    const response = await sessionsOf(user.id, bearer(admin.accessToken));

    expect(response.status).toBe(200);
    expect(response.body).toEqual([
      { sessionId: first.sessionId, userAgent: 'first-device', ip: expect.any(String), createdAt: expect.any(String), expiresAt: expect.any(String), lastSeenAt: expect.any(String) },
      { sessionId: second.sessionId, userAgent: 'second-device', ip: expect.any(String), createdAt: expect.any(String), expiresAt: expect.any(String), lastSeenAt: expect.any(String) },
    ]);
  });

  it('POST revoke ends every session: 200 {revokedSessions: n} with the real count, then the list is empty', async () => {
    const user = await registerUser(auth.baseUrl, 'admin-revoke-target');
    const sessions = [
      await login(auth.baseUrl, 'admin-revoke-target'),
      await login(auth.baseUrl, 'admin-revoke-target'),
      await login(auth.baseUrl, 'admin-revoke-target'),
    ];

    const response = await revoke(user.id, bearer(admin.accessToken));

    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { revokedSessions: 3, ...noGateways } });
    for (const session of sessions) {
      expectError(await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(session.accessToken) }), 401, 'SESSION_REVOKED');
    }
    expect((await sessionsOf(user.id, bearer(admin.accessToken))).body).toEqual([]);
    const again = await revoke(user.id, bearer(admin.accessToken));
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: { revokedSessions: 0, ...noGateways } });
  });

  it('works with the admin’s session cookie too', async () => {
    const user = await registerUser(auth.baseUrl, 'admin-cookie-target');
    await login(auth.baseUrl, 'admin-cookie-target');

    const response = await revoke(user.id, { cookie: admin.cookie, origin: 'http://localhost:8080' });

    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { revokedSessions: 1, ...noGateways } });
  });

  it('refuses the admin’s session cookie without an Origin (CSRF): 403 ORIGIN_NOT_ALLOWED, nothing revoked', async () => {
    const user = await registerUser(auth.baseUrl, 'admin-csrf-target');
    const target = await login(auth.baseUrl, 'admin-csrf-target');

    expectError(await revoke(user.id, { cookie: admin.cookie }), 403, 'ORIGIN_NOT_ALLOWED');

    expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(target.accessToken) })).status).toBe(200);
  });

  it('refuses a non-admin with 403 FORBIDDEN and ends nothing', async () => {
    const target = await registerUser(auth.baseUrl, 'admin-forbidden-target');
    const targetSession = await login(auth.baseUrl, 'admin-forbidden-target');
    await registerUser(auth.baseUrl, 'admin-wannabe');
    const wannabe = await login(auth.baseUrl, 'admin-wannabe');

    expectError(await revoke(target.id, bearer(wannabe.accessToken)), 403, 'FORBIDDEN');
    expectError(await sessionsOf(target.id, bearer(wannabe.accessToken)), 403, 'FORBIDDEN');
    // Not even their own account: the route is for admins only.
    expectError(await revoke(wannabe.user.id, bearer(wannabe.accessToken)), 403, 'FORBIDDEN');
    expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(targetSession.accessToken) })).status).toBe(200);
    expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(wannabe.accessToken) })).status).toBe(200);
  });

  it('answers an unknown user (a valid UUIDv4) with 404 NOT_FOUND', async () => {
    const unknown = randomUUID();

    expectError(await revoke(unknown, bearer(admin.accessToken)), 404, 'NOT_FOUND');
    expectError(await sessionsOf(unknown, bearer(admin.accessToken)), 404, 'NOT_FOUND');
  });

  it.each(['not-a-uuid', '00000000-0000-0000-0000-000000000000', '6f1c1d3e-8a4b-1c2d-9e8f-0a1b2c3d4e5f', 'admin'])(
    'answers a malformed user id (%s) with 400 INVALID_INPUT',
    async (userId) => {
      expectError(await revoke(userId, bearer(admin.accessToken)), 400, 'INVALID_INPUT');
      expectError(await sessionsOf(userId, bearer(admin.accessToken)), 400, 'INVALID_INPUT');
    },
  );

  it('answers a request without credentials with 401 UNAUTHORIZED', async () => {
    expectError(await revoke(admin.user.id, {}), 401, 'UNAUTHORIZED');
    expectError(await sessionsOf(admin.user.id, {}), 401, 'UNAUTHORIZED');
  });

  describe('POST sessions/:sessionId/revoke', () => {
    const revokeSession = (userId: string, sessionId: string, headers: Record<string, string>) =>
      request(auth.baseUrl, 'POST', `/admin/users/${userId}/sessions/${sessionId}/revoke`, { headers });

    it('ends that session only: 200 {revokedSessions: 1}, the user\'s other session lives on', async () => {
      const user = await registerUser(auth.baseUrl, 'admin-session-target');
      const ended = await login(auth.baseUrl, 'admin-session-target');
      const kept = await login(auth.baseUrl, 'admin-session-target');

      const response = await revokeSession(user.id, ended.sessionId, bearer(admin.accessToken));

      expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { revokedSessions: 1, ...noGateways } });
      expectError(await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(ended.accessToken) }), 401, 'SESSION_REVOKED');
      expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(kept.accessToken) })).status).toBe(200);
      // Already ended, or a session of another user: not a live session of this one.
      expectError(await revokeSession(user.id, ended.sessionId, bearer(admin.accessToken)), 404, 'NOT_FOUND');
      expectError(await revokeSession(admin.user.id, kept.sessionId, bearer(admin.accessToken)), 404, 'NOT_FOUND');
      expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(kept.accessToken) })).status).toBe(200);
    });

    it('refuses a non-admin (403 FORBIDDEN), a cookie without Origin (403 ORIGIN_NOT_ALLOWED), a malformed id (400)', async () => {
      const user = await registerUser(auth.baseUrl, 'admin-session-refused');
      const target = await login(auth.baseUrl, 'admin-session-refused');

      expectError(await revokeSession(user.id, target.sessionId, bearer(target.accessToken)), 403, 'FORBIDDEN');
      expectError(await revokeSession(user.id, target.sessionId, { cookie: admin.cookie }), 403, 'ORIGIN_NOT_ALLOWED');
      expectError(await revokeSession(user.id, 'not-a-session', bearer(admin.accessToken)), 400, 'INVALID_INPUT');
      expectError(await revokeSession(randomUUID(), target.sessionId, bearer(admin.accessToken)), 404, 'NOT_FOUND');
      expect((await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(target.accessToken) })).status).toBe(200);
    });
  });

  it('refuses an admin whose own session has ended (SESSION_REVOKED)', async () => {
    const target = await registerUser(auth.baseUrl, 'admin-stale-target');
    const otherAdmin = await login(auth.baseUrl, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
    expect((await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(otherAdmin.accessToken) })).status).toBe(204);

    expectError(await revoke(target.id, bearer(otherAdmin.accessToken)), 401, 'SESSION_REVOKED');
  });
});
