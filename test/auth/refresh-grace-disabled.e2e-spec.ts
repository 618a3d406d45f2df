import { redisKeys, type TokenPair } from '@app/contracts';
import { Redis } from 'ioredis';
import { expectError } from '../support/assertions';
import { startAuthApp, type AuthApp } from '../support/auth-app';
import { login, registerUser, request, type LoggedIn } from '../support/http';
import { startRedisServer, type RedisServer } from '../support/redis-server';

// An operator turns the grace off (REFRESH_REUSE_GRACE=0) and restarts auth while sessions rotated under the old
// setting still have their previous-token entry in Redis.
describe('REFRESH_REUSE_GRACE=0 after a restart from a grace of 300 s: every replay is reuse, leftovers are deleted', () => {
  let redis: RedisServer;
  let auth: AuthApp;
  let inspector: Redis;
  /** Rotated once under the grace; `previous` is the token rotated away, `current` its successor. */
  const rotatedBefore: Array<{ session: LoggedIn; previous: string; current: string }> = [];

  const refresh = (app: AuthApp, refreshToken: string) => request<TokenPair>(app.baseUrl, 'POST', '/auth/refresh', { json: { refreshToken } });
  const previousRefreshKey = (session: LoggedIn) => redisKeys.previousRefreshToken(session.user.id, session.sessionId);

  beforeAll(async () => {
    redis = await startRedisServer();
    inspector = new Redis(redis.url);
    const withGrace = await startAuthApp(redis.url, { REFRESH_REUSE_GRACE: '300' });
    try {
      await registerUser(withGrace.baseUrl, 'no-grace-alice');
      for (let n = 0; n < 2; n++) {
        const session = await login(withGrace.baseUrl, 'no-grace-alice');
        const rotated = await refresh(withGrace, session.refreshToken);
        expect(rotated.status).toBe(200);
        expect(await inspector.exists(previousRefreshKey(session))).toBe(1);
        rotatedBefore.push({ session, previous: session.refreshToken, current: rotated.body.refreshToken });
      }
    } finally {
      await withGrace.close();
    }
    auth = await startAuthApp(redis.url, { REFRESH_REUSE_GRACE: '0' });
  });

  afterAll(async () => {
    await inspector?.quit();
    await auth?.close();
    await redis?.cleanup();
  });

  it('a replay of the previous token, inside the old window, ends the session instead of yielding the current one', async () => {
    const [{ session, previous, current }] = rotatedBefore;

    expectError(await refresh(auth, previous), 401, 'SESSION_REVOKED');

    expect(await inspector.exists(previousRefreshKey(session))).toBe(0);
    expectError(await refresh(auth, current), 401, 'UNAUTHORIZED');
  });

  it('a rotation deletes the leftover entry and keeps none: the tokens rotated away are all reuse', async () => {
    const [, { session, previous, current }] = rotatedBefore;

    const rotated = await refresh(auth, current);

    expect(rotated.status).toBe(200);
    expect(await inspector.exists(previousRefreshKey(session))).toBe(0);
    expectError(await refresh(auth, previous), 401, 'SESSION_REVOKED');
  });
});
