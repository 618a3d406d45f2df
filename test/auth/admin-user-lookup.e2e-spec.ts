import type { UserView } from '@app/contracts';
import { expectError } from '../support/assertions';
import { TEST_AUTH_ENV, type AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';

describe('GET /admin/users?username=', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;
  let admin: LoggedIn;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth());
    admin = await login(auth.baseUrl, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
  });

  afterAll(() => cleanup?.());

  const lookup = (query: string, headers: Record<string, string>) => request<UserView>(auth.baseUrl, 'GET', `/admin/users${query}`, { headers });

  it('finds a user by name, case-insensitively, as {id, username, roles} and nothing else', async () => {
    const user = await registerUser(auth.baseUrl, 'Lookup.Target');

    for (const name of ['Lookup.Target', 'lookup.target']) {
      const response = await lookup(`?username=${name}`, bearer(admin.accessToken));
      expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { id: user.id, username: 'Lookup.Target', roles: ['user'] } });
    }
  });

  it('answers an unknown name with 404 NOT_FOUND', async () => {
    expectError(await lookup('?username=nobody-here', bearer(admin.accessToken)), 404, 'NOT_FOUND');
  });

  it.each(['', '?username=', '?username=a', '?username=bad%20name', '?username=x1&username=x2', '?username=lookup-x&extra=1'])(
    'answers a missing or malformed query (%s) with 400 INVALID_INPUT',
    async (query) => {
      expectError(await lookup(query, bearer(admin.accessToken)), 400, 'INVALID_INPUT');
    },
  );

  it('is for admins only: 401 without credentials, 403 FORBIDDEN for a user', async () => {
    await registerUser(auth.baseUrl, 'lookup-wannabe');
    const wannabe = await login(auth.baseUrl, 'lookup-wannabe');

    expectError(await lookup('?username=lookup-wannabe', {}), 401, 'UNAUTHORIZED');
    expectError(await lookup('?username=lookup-wannabe', bearer(wannabe.accessToken)), 403, 'FORBIDDEN');
  });
});
