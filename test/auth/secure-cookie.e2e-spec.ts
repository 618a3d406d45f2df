import type { LoginResponse, MeResponse } from '@app/contracts';
import type { AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { registerUser, request, sessionCookieOf } from '../support/http';

// Its own file: a second app in login.e2e-spec.ts would take over passport's strategies (see startAuthApp).
describe('session cookie with COOKIE_SECURE=true', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth({ env: { COOKIE_SECURE: 'true' } }));
  });

  afterAll(() => cleanup?.());

  it('is named "__Host-sid" and is Secure, HttpOnly, SameSite=Lax, Path=/, without Domain; it authenticates', async () => {
    await registerUser(auth.baseUrl, 'secure-alice');

    const response = await request<LoginResponse>(auth.baseUrl, 'POST', '/auth/login', {
      json: { username: 'secure-alice', password: 'correct horse battery' },
    });

    expect(response.status).toBe(200);
    const cookie = sessionCookieOf(response.headers);
    expect(cookie.name).toBe('__Host-sid');
    // Browsers honour the __Host- prefix only with Secure, Path=/ and no Domain.
    expect(cookie.attributes).toMatchObject({ secure: true, httponly: true, samesite: 'Lax', path: '/' });
    expect(cookie.attributes).not.toHaveProperty('domain');
    const me = await request<MeResponse>(auth.baseUrl, 'GET', '/auth/me', { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    expect({ status: me.status, sessionId: me.body.sessionId }).toEqual({ status: 200, sessionId: response.body.sessionId });
  });

  it('is cleared on logout with the same name and attributes', async () => {
    await registerUser(auth.baseUrl, 'secure-bob');
    const login = await request<LoginResponse>(auth.baseUrl, 'POST', '/auth/login', {
      json: { username: 'secure-bob', password: 'correct horse battery' },
    });
    const cookie = sessionCookieOf(login.headers);

    const logout = await request(auth.baseUrl, 'POST', '/auth/logout', {
      headers: { cookie: `${cookie.name}=${cookie.value}`, origin: 'http://localhost:8080' },
    });

    expect(logout.status).toBe(204);
    const cleared = sessionCookieOf(logout.headers);
    expect(cleared).toMatchObject({ name: '__Host-sid', value: '', attributes: { secure: true, path: '/', httponly: true } });
  });
});
