import { startAuthApp, type AuthApp } from '../support/auth-app';
import { login, registerUser, request } from '../support/http';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { UserLoggedOutListener } from '../support/user-logged-out-listener';

describe('auth smoke', () => {
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

  it('logs out and publishes the contract message', async () => {
    const user = await registerUser(auth.baseUrl, 'smoke-user');
    const session = await login(auth.baseUrl, 'smoke-user');
    const logout = await request(auth.baseUrl, 'POST', '/auth/logout', { headers: { authorization: `Bearer ${session.accessToken}` } });
    expect(logout.status).toBe(204);
    const message = await listener.next((m) => m.userId === user.id);
    expect(message).toEqual({ v: 1, id: expect.any(String), userId: user.id, sessionIds: [session.sessionId], reason: 'logout', at: expect.any(Number) });
  });
});
