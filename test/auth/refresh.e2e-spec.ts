import type { MeResponse, TokenPair } from '@app/contracts';
import { expectError } from '../support/assertions';
import { startAuthApp, type AuthApp } from '../support/auth-app';
import { bearer, login, registerUser, request } from '../support/http';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { UserLoggedOutListener } from '../support/user-logged-out-listener';

describe('POST /auth/refresh: rotation and reuse detection', () => {
  let redis: RedisServer;
  let auth: AuthApp;
  let listener: UserLoggedOutListener;

  beforeAll(async () => {
    redis = await startRedisServer();
    auth = await startAuthApp(redis.url);
    listener = await UserLoggedOutListener.start(redis.url);
  });

  afterAll(async () => {
    await listener?.close();
    await auth?.close();
    await redis?.cleanup();
  });

  const refresh = (refreshToken: unknown) => request<TokenPair>(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken } });
  const me = (headers: Record<string, string>) => request<MeResponse>(auth.baseUrl, 'GET', '/auth/me', { headers });

  it('rotates: 200 {accessToken, refreshToken, expiresIn}, new tokens for the same session, and the new refresh token rotates again', async () => {
    await registerUser(auth.baseUrl, 'refresh-alice');
    const session = await login(auth.baseUrl, 'refresh-alice');

    const first = await refresh(session.refreshToken);

    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: auth.config.accessTokenTtlSeconds });
    expect(first.body.refreshToken).not.toBe(session.refreshToken);
    expect(first.body.accessToken).not.toBe(session.accessToken);
    const viaNewToken = await me(bearer(first.body.accessToken));
    expect({ status: viaNewToken.status, sessionId: viaNewToken.body.sessionId }).toEqual({ status: 200, sessionId: session.sessionId });
    const second = await refresh(first.body.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
  });

  it('ends the session when a rotated-away refresh token comes back: 401 SESSION_REVOKED, every credential of it refused, refresh_reuse announced', async () => {
    const user = await registerUser(auth.baseUrl, 'refresh-bob');
    const session = await login(auth.baseUrl, 'refresh-bob');
    const otherSession = await login(auth.baseUrl, 'refresh-bob');
    const rotated = await refresh(session.refreshToken);
    expect(rotated.status).toBe(200);

    const replay = await refresh(session.refreshToken);

    expectError(replay, 401, 'SESSION_REVOKED');
    const message = await listener.next((candidate) => candidate.userId === user.id);
    expect(message).toEqual({ v: 1, id: expect.any(String), userId: user.id, sessionIds: [session.sessionId], reason: 'refresh_reuse', at: expect.any(Number) });
    expectError(await me(bearer(session.accessToken)), 401, 'SESSION_REVOKED');
    expectError(await me(bearer(rotated.body.accessToken)), 401, 'SESSION_REVOKED');
    expectError(await me({ cookie: session.cookie }), 401, 'SESSION_REVOKED');
    // The legitimate holder's newest token cannot bring the session back either.
    expectError(await refresh(rotated.body.refreshToken), 401, 'UNAUTHORIZED');
    // Only the compromised session ends.
    expect((await me(bearer(otherSession.accessToken))).status).toBe(200);
  });

  it('two concurrent uses of one refresh token: one rotates, the other is reuse, and the session ends', async () => {
    const user = await registerUser(auth.baseUrl, 'refresh-carol');
    const session = await login(auth.baseUrl, 'refresh-carol');

    const responses = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);

    expect(responses.map((response) => response.status).sort()).toEqual([200, 401]);
    expectError(responses.find((response) => response.status === 401)!, 401, 'SESSION_REVOKED');
    const message = await listener.next((candidate) => candidate.userId === user.id);
    expect(message).toMatchObject({ sessionIds: [session.sessionId], reason: 'refresh_reuse' });
    expectError(await me(bearer(session.accessToken)), 401, 'SESSION_REVOKED');
  });

  it.each([
    ['garbage', 'garbage'],
    ['wrong prefix', 'rt2.USER.SESSION.SECRET'],
    ['too few parts', 'rt1.USER.SESSION'],
    ['a malformed user id', 'rt1.not-a-uuid.SESSION.SECRET'],
    ['a short secret', 'rt1.USER.SESSION.abc'],
  ])('refuses a malformed refresh token (%s) with 401 UNAUTHORIZED and leaves the session untouched', async (label, template) => {
    const username = `refresh-malformed-${label.replace(/[^a-z]/g, '')}`;
    await registerUser(auth.baseUrl, username);
    const session = await login(auth.baseUrl, username);
    const [, userId, sessionId, secret] = session.refreshToken.split('.');
    const token = template.replace('USER', userId).replace('SESSION', sessionId).replace('SECRET', secret);

    expectError(await refresh(token), 401, 'UNAUTHORIZED');

    expect((await me(bearer(session.accessToken))).status).toBe(200);
    expect((await refresh(session.refreshToken)).status).toBe(200);
  });

  it('refuses a forged refresh token naming a real session (wrong secret) with 401 UNAUTHORIZED, without ending the session', async () => {
    const user = await registerUser(auth.baseUrl, 'refresh-dave');
    const session = await login(auth.baseUrl, 'refresh-dave');
    const forged = `rt1.${user.id}.${session.sessionId}.${'A'.repeat(43)}`;

    expectError(await refresh(forged), 401, 'UNAUTHORIZED');

    // Session ids are public handles: guessing must not let anyone end a session.
    expect((await me(bearer(session.accessToken))).status).toBe(200);
    expect((await refresh(session.refreshToken)).status).toBe(200);
    // The forgery was not taken for reuse: the next message for this user is the logout below.
    expect((await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(session.accessToken) })).status).toBe(204);
    expect(await listener.next((candidate) => candidate.userId === user.id)).toMatchObject({ reason: 'logout' });
  });

  it('refuses the refresh token of a session that was logged out with 401 UNAUTHORIZED', async () => {
    await registerUser(auth.baseUrl, 'refresh-erin');
    const session = await login(auth.baseUrl, 'refresh-erin');
    expect((await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(session.accessToken) })).status).toBe(204);

    expectError(await refresh(session.refreshToken), 401, 'UNAUTHORIZED');
  });

  it.each([
    ['an empty body', {}],
    ['an empty token', { refreshToken: '' }],
    ['a number', { refreshToken: 42 }],
    ['an overlong token', { refreshToken: 'x'.repeat(513) }],
    ['an extra field', { refreshToken: 'rt1.a.b.c', sessionId: 'x' }],
  ])('answers %s with 400 INVALID_INPUT', async (_label, body) => {
    expectError(await request(auth.baseUrl, 'POST', '/auth/refresh', { json: body }), 400, 'INVALID_INPUT');
  });
});
