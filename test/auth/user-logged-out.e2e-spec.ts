import { parseUserLoggedOut, redisKeys, type SessionEndReason, type TokenPair, type UserLoggedOut } from '@app/contracts';
import type { Redis } from 'ioredis';
import { expectError } from '../support/assertions';
import { TEST_AUTH_ENV, type AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';
import type { UserLoggedOutListener } from '../support/user-logged-out-listener';

/** No gateway runs in these suites: a confirmed revocation has nobody to wait for. */
const noGateways = { closedSockets: 0, nodes: [], unconfirmedNodes: [] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('user-logged-out: every session end deletes the records, then announces it', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;
  let listener: UserLoggedOutListener;
  /** A plain connection for looking at the records behind the app's back. */
  let inspector: Redis;

  beforeAll(async () => {
    ({ auth, listener, inspector, cleanup } = await setupAuth({ listen: true }));
  });

  afterAll(() => cleanup?.());

  /** Session records (and index entries) of `sessions` still in Redis. */
  async function recordsLeft(userId: string, sessions: LoggedIn[]): Promise<number> {
    const pipeline = inspector.pipeline();
    for (const { sessionId } of sessions) {
      pipeline.exists(redisKeys.session(userId, sessionId));
      pipeline.zscore(redisKeys.userSessions(userId), sessionId);
    }
    const replies = (await pipeline.exec()) ?? [];
    return replies.filter(([error, value]) => error !== null || (value !== 0 && value !== null)).length;
  }

  /**
   * Waits for the user's next message, checks the records are already gone at that moment, then checks the
   * exact message and that every ended session's credentials are refused.
   */
  async function expectAnnounced(
    userId: string,
    ended: LoggedIn[],
    sessionIds: string[] | null,
    reason: SessionEndReason,
    since: number,
  ): Promise<UserLoggedOut> {
    const message = await listener.next((candidate) => candidate.userId === userId);
    expect(await recordsLeft(userId, ended)).toBe(0);
    expect(listener.payloads().filter((payload) => !parseUserLoggedOut(payload).ok)).toEqual([]);
    expect(message).toEqual({ v: 1, id: expect.stringMatching(UUID), userId, sessionIds, reason, at: expect.any(Number) });
    expect(message.at).toBeGreaterThanOrEqual(since);
    expect(message.at).toBeLessThanOrEqual(Date.now());
    for (const session of ended) {
      expectError(await request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(session.accessToken) }), 401, 'SESSION_REVOKED');
    }
    return message;
  }

  const me = (session: LoggedIn) => request(auth.baseUrl, 'GET', '/auth/me', { headers: bearer(session.accessToken) });

  it('logout: sessionIds [sid], only that session ends', async () => {
    const user = await registerUser(auth.baseUrl, 'ulo-logout');
    const session = await login(auth.baseUrl, 'ulo-logout');
    const other = await login(auth.baseUrl, 'ulo-logout');
    const since = Date.now();

    expect((await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(session.accessToken) })).status).toBe(204);

    await expectAnnounced(user.id, [session], [session.sessionId], 'logout', since);
    expect((await me(other)).status).toBe(200);
    expect(await recordsLeft(user.id, [other])).toBe(2);
  });

  it('logout_all: sessionIds null, every session of the user ends, other users untouched', async () => {
    const user = await registerUser(auth.baseUrl, 'ulo-logout-all');
    await registerUser(auth.baseUrl, 'ulo-bystander');
    const sessions = [await login(auth.baseUrl, 'ulo-logout-all'), await login(auth.baseUrl, 'ulo-logout-all'), await login(auth.baseUrl, 'ulo-logout-all')];
    const bystander = await login(auth.baseUrl, 'ulo-bystander');
    const since = Date.now();

    expect((await request(auth.baseUrl, 'POST', '/auth/logout-all', { headers: { cookie: sessions[0].cookie, origin: 'http://localhost:8080' } })).status).toBe(204);

    await expectAnnounced(user.id, sessions, null, 'logout_all', since);
    expect(await inspector.exists(redisKeys.userSessions(user.id))).toBe(0);
    expect((await me(bystander)).status).toBe(200);
  });

  it('session_revoked: DELETE /auth/sessions/:id announces [that id]; the caller’s session lives on', async () => {
    const user = await registerUser(auth.baseUrl, 'ulo-revoked');
    const current = await login(auth.baseUrl, 'ulo-revoked');
    const target = await login(auth.baseUrl, 'ulo-revoked');
    const since = Date.now();

    const response = await request(auth.baseUrl, 'DELETE', `/auth/sessions/${target.sessionId}`, { headers: bearer(current.accessToken) });

    expect(response.status).toBe(204);
    await expectAnnounced(user.id, [target], [target.sessionId], 'session_revoked', since);
    expect((await me(current)).status).toBe(200);
  });

  it('refresh_reuse: a replayed refresh token announces [sid]', async () => {
    const user = await registerUser(auth.baseUrl, 'ulo-reuse');
    const session = await login(auth.baseUrl, 'ulo-reuse');
    const rotated = await request<TokenPair>(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: session.refreshToken } });
    // Rotated twice: the first token is no longer the one rotated away last, which has a grace window.
    expect((await request(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: rotated.body.refreshToken } })).status).toBe(200);
    const since = Date.now();

    expectError(await request(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken: session.refreshToken } }), 401, 'SESSION_REVOKED');

    await expectAnnounced(user.id, [session], [session.sessionId], 'refresh_reuse', since);
  });

  it('admin_revoke: POST /admin/users/:id/revoke announces null and ends every session of the user', async () => {
    const user = await registerUser(auth.baseUrl, 'ulo-admin-target');
    const sessions = [await login(auth.baseUrl, 'ulo-admin-target'), await login(auth.baseUrl, 'ulo-admin-target')];
    const admin = await login(auth.baseUrl, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
    const since = Date.now();

    const response = await request(auth.baseUrl, 'POST', `/admin/users/${user.id}/revoke`, { headers: bearer(admin.accessToken) });

    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { revokedSessions: 2, ...noGateways } });
    await expectAnnounced(user.id, sessions, null, 'admin_revoke', since);
    expect((await me(admin)).status).toBe(200);
  });

  it('announces nothing when nothing ended (unknown session id)', async () => {
    const user = await registerUser(auth.baseUrl, 'ulo-nothing');
    const session = await login(auth.baseUrl, 'ulo-nothing');
    expectError(await request(auth.baseUrl, 'DELETE', `/auth/sessions/${'B'.repeat(24)}`, { headers: bearer(session.accessToken) }), 404, 'NOT_FOUND');

    // Messages of one publisher arrive in order: had the 404 published anything, it would come before this logout.
    expect((await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(session.accessToken) })).status).toBe(204);
    expect(await listener.next((candidate) => candidate.userId === user.id)).toMatchObject({ reason: 'logout', sessionIds: [session.sessionId] });
  });

});
