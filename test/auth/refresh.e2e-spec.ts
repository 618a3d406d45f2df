import { redisKeys, type MeResponse, type TokenPair } from '@app/contracts';
import type { Redis } from 'ioredis';
import { expectError } from '../support/assertions';
import type { AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';
import type { UserLoggedOutListener } from '../support/user-logged-out-listener';

/**
 * The longest grace the config allows: every request of a test lands well inside the window however loaded the
 * machine. The tests end a window themselves, by deleting its key as its expiry would.
 */
const REUSE_GRACE_SECONDS = 300;

describe(`POST /auth/refresh: rotation and reuse detection (REFRESH_REUSE_GRACE=${REUSE_GRACE_SECONDS})`, () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;
  let listener: UserLoggedOutListener;
  /** A plain connection for reading and ending grace windows. */
  let inspector: Redis;

  beforeAll(async () => {
    ({ auth, listener, inspector, cleanup } = await setupAuth({ env: { REFRESH_REUSE_GRACE: String(REUSE_GRACE_SECONDS) }, listen: true }));
  });

  afterAll(() => cleanup?.());

  const refresh = (refreshToken: unknown) => request<TokenPair>(auth.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken } });
  const me = (headers: Record<string, string>) => request<MeResponse>(auth.baseUrl, 'GET', '/auth/me', { headers });
  const previousRefreshKey = (session: LoggedIn) => redisKeys.previousRefreshToken(session.user.id, session.sessionId);

  /** Ends the grace window of the session's last rotation now, exactly as its key's expiry would. */
  async function endGraceWindow(session: LoggedIn): Promise<void> {
    expect(await inspector.del(previousRefreshKey(session))).toBe(1);
  }

  /** The next `user-logged-out` message for the user is the one of this logout: nothing was announced before it. */
  async function expectNothingAnnouncedBefore(session: LoggedIn): Promise<void> {
    expect((await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(session.accessToken) })).status).toBe(204);
    expect(await listener.next((candidate) => candidate.userId === session.user.id)).toMatchObject({ reason: 'logout' });
  }

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

  it('ends the session when a rotated-away refresh token comes back after the grace window: 401 SESSION_REVOKED, every credential of it refused, refresh_reuse announced', async () => {
    const user = await registerUser(auth.baseUrl, 'refresh-bob');
    const session = await login(auth.baseUrl, 'refresh-bob');
    const otherSession = await login(auth.baseUrl, 'refresh-bob');
    const rotated = await refresh(session.refreshToken);
    expect(rotated.status).toBe(200);
    await endGraceWindow(session);

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

  it('two concurrent refreshes with one token (two tabs): both 200 with the same new refresh token, the same session, working tokens, nothing announced', async () => {
    await registerUser(auth.baseUrl, 'refresh-carol');
    const session = await login(auth.baseUrl, 'refresh-carol');

    const responses = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);

    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    const [first, second] = responses.map((response) => response.body);
    expect(second.refreshToken).toBe(first.refreshToken);
    expect(first.refreshToken).not.toBe(session.refreshToken);
    for (const pair of [first, second]) {
      const viaToken = await me(bearer(pair.accessToken));
      expect({ status: viaToken.status, sessionId: viaToken.body.sessionId }).toEqual({ status: 200, sessionId: session.sessionId });
    }
    const next = await refresh(first.refreshToken);
    expect(next.status).toBe(200);
    await expectNothingAnnouncedBefore({ ...session, accessToken: next.body.accessToken });
  });

  it('within the grace window the previous token again yields the current refresh token and a fresh access token; after it, reuse ends the session', async () => {
    const user = await registerUser(auth.baseUrl, 'refresh-grace');
    const session = await login(auth.baseUrl, 'refresh-grace');
    const rotated = await refresh(session.refreshToken);
    expect(rotated.status).toBe(200);

    const again = await refresh(session.refreshToken);

    expect(again.status).toBe(200);
    expect(again.body).toEqual({ accessToken: expect.any(String), refreshToken: rotated.body.refreshToken, expiresIn: auth.config.accessTokenTtlSeconds });
    expect(again.body.accessToken).not.toBe(rotated.body.accessToken);
    expect((await me(bearer(again.body.accessToken))).body.sessionId).toBe(session.sessionId);

    await endGraceWindow(session);
    expectError(await refresh(session.refreshToken), 401, 'SESSION_REVOKED');
    expect(await listener.next((candidate) => candidate.userId === user.id)).toMatchObject({ sessionIds: [session.sessionId], reason: 'refresh_reuse' });
    expectError(await refresh(rotated.body.refreshToken), 401, 'UNAUTHORIZED');
  });

  it('keeps the token rotated away last for exactly REFRESH_REUSE_GRACE: its key expires with the configured grace', async () => {
    await registerUser(auth.baseUrl, 'refresh-grace-ttl');
    const session = await login(auth.baseUrl, 'refresh-grace-ttl');
    expect(await inspector.exists(previousRefreshKey(session))).toBe(0);

    expect((await refresh(session.refreshToken)).status).toBe(200);

    const ttlMs = await inspector.pttl(previousRefreshKey(session));
    // At most the grace; the lower bound only allows for the time between the rotation and this read.
    expect(ttlMs).toBeLessThanOrEqual(REUSE_GRACE_SECONDS * 1000);
    expect(ttlMs).toBeGreaterThan((REUSE_GRACE_SECONDS - 60) * 1000);
  });

  it('binds the sealed successor to its session: copied into another session\'s key, it yields nothing there (401 UNAUTHORIZED)', async () => {
    await registerUser(auth.baseUrl, 'refresh-sealed');
    const [victim, other] = [await login(auth.baseUrl, 'refresh-sealed'), await login(auth.baseUrl, 'refresh-sealed')];
    expect((await refresh(victim.refreshToken)).status).toBe(200);
    // Someone who can write to Redis puts the victim's previous-token entry (hash and sealed successor) under the other session.
    const stolen = await inspector.hgetall(previousRefreshKey(victim));
    await inspector.hset(previousRefreshKey(other), stolen);
    await inspector.pexpire(previousRefreshKey(other), REUSE_GRACE_SECONDS * 1000);
    const [, userId, , victimSecret] = victim.refreshToken.split('.');

    const replay = await refresh(`rt1.${userId}.${other.sessionId}.${victimSecret}`);

    expectError(replay, 401, 'UNAUTHORIZED');
    expect((await me(bearer(other.accessToken))).status).toBe(200);
  });

  it('grants the grace only to the token rotated away last: an older one is reuse even within the window', async () => {
    const user = await registerUser(auth.baseUrl, 'refresh-older');
    const session = await login(auth.baseUrl, 'refresh-older');
    const first = await refresh(session.refreshToken);
    const second = await refresh(first.body.refreshToken);
    expect([first.status, second.status]).toEqual([200, 200]);

    expectError(await refresh(session.refreshToken), 401, 'SESSION_REVOKED');

    expect(await listener.next((candidate) => candidate.userId === user.id)).toMatchObject({ sessionIds: [session.sessionId], reason: 'refresh_reuse' });
    expectError(await me(bearer(second.body.accessToken)), 401, 'SESSION_REVOKED');
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
    // The forgery was not taken for reuse.
    await expectNothingAnnouncedBefore(session);
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
