import { expectError } from '../support/assertions';
import type { AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, login, registerUser, request } from '../support/http';

type RequestOptions = NonNullable<Parameters<typeof request>[3]>;

const PASSWORD = 'correct horse battery';

/** Bodies no credentials endpoint may accept, each with a word the 400 message must contain. */
const invalidCredentials: Array<[string, RequestOptions, RegExp]> = [
  ['no body at all', {}, /expected object/],
  ['a text/plain body', { rawBody: JSON.stringify({ username: 'someone', password: PASSWORD }), headers: { 'content-type': 'text/plain' } }, /expected object/],
  ['a JSON array', { rawBody: '[]' }, /expected object/],
  ['an empty JSON body', { rawBody: '' }, /username/],
  ['the username missing', { json: { password: PASSWORD } }, /username/],
  ['the password missing', { json: { username: 'someone' } }, /password/],
  ['an extra field (roles)', { json: { username: 'someone', password: PASSWORD, roles: ['admin'] } }, /roles/],
  ['a __proto__ field', { rawBody: `{"username":"someone","password":"${PASSWORD}","__proto__":{"roles":["admin"]}}` }, /__proto__/],
  ['a username of 2 characters', { json: { username: 'ab', password: PASSWORD } }, /username/],
  ['a username of 65 characters', { json: { username: 'a'.repeat(65), password: PASSWORD } }, /username/],
  ['a username with a space', { json: { username: 'some one', password: PASSWORD } }, /username/],
  ['a username with a slash', { json: { username: 'some/one', password: PASSWORD } }, /username/],
  ['a username starting with a dot', { json: { username: '.someone', password: PASSWORD } }, /username/],
  ['a username with non-ASCII letters', { json: { username: 'sömeone', password: PASSWORD } }, /username/],
  ['a numeric username', { json: { username: 12345, password: PASSWORD } }, /username/],
  ['a password of 7 characters', { json: { username: 'someone', password: '1234567' } }, /password/],
  ['a password of 1025 characters', { json: { username: 'someone', password: 'p'.repeat(1025) } }, /password/],
  ['a password that is an object', { json: { username: 'someone', password: { $ne: '' } } }, /password/],
];

/** Bodies the JSON parser itself refuses. */
const unparsable: Array<[string, string]> = [
  ['malformed JSON', '{"username": "someone", '],
  ['a JSON string', '"someone"'],
  ['JSON null', 'null'],
  ['a JSON number', '42'],
];

describe('bad input: the right 4xx, as JSON, never a stack trace', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth());
  });

  afterAll(() => cleanup?.());

  describe.each(['/auth/register', '/auth/login'])('POST %s', (path) => {
    it.each(invalidCredentials)('refuses %s with 400 INVALID_INPUT naming the problem', async (_label, options, problem) => {
      const body = expectError(await request(auth.baseUrl, 'POST', path, options), 400, 'INVALID_INPUT');

      expect(body.message).toMatch(problem);
    });

    it.each(unparsable)('refuses %s with 400 INVALID_INPUT "Malformed JSON body"', async (_label, rawBody) => {
      const body = expectError(await request(auth.baseUrl, 'POST', path, { rawBody, headers: { 'content-type': 'application/json' } }), 400, 'INVALID_INPUT');

      expect(body.message).toBe('Malformed JSON body');
    });

    it('refuses a body over BODY_LIMIT (16kb) with 413 PAYLOAD_TOO_LARGE', async () => {
      const rawBody = JSON.stringify({ username: 'someone', password: PASSWORD, padding: 'x'.repeat(17 * 1024) });

      const body = expectError(await request(auth.baseUrl, 'POST', path, { rawBody }), 413, 'PAYLOAD_TOO_LARGE');

      expect(body.message).toBe('Request body too large');
    });

    it('refuses a JSON body in an unsupported charset with 415 and a code', async () => {
      const response = await request(auth.baseUrl, 'POST', path, { rawBody: '{}', headers: { 'content-type': 'application/json; charset=latin1' } });

      expectError(response, 415, 'INVALID_INPUT');
    });
  });

  it('accepts the boundaries: 3- and 64-character usernames, 8- and 1024-character passwords', async () => {
    const cases = [
      { username: 'abc', password: 'p'.repeat(8) },
      { username: `b${'x'.repeat(63)}`, password: 'p'.repeat(1024) },
      { username: 'c.d_e-9', password: PASSWORD },
    ];
    for (const credentials of cases) {
      const created = await request(auth.baseUrl, 'POST', '/auth/register', { json: credentials });
      expect({ username: credentials.username, status: created.status }).toEqual({ username: credentials.username, status: 201 });
      expect((await login(auth.baseUrl, credentials.username, credentials.password)).user.username).toBe(credentials.username);
    }
  });

  it('answers a wrong password and an unknown user with the same 401 body', async () => {
    await registerUser(auth.baseUrl, 'bad-input-alice', PASSWORD);

    const wrongPassword = await request(auth.baseUrl, 'POST', '/auth/login', { json: { username: 'bad-input-alice', password: 'not the password' } });
    const unknownUser = await request(auth.baseUrl, 'POST', '/auth/login', { json: { username: 'bad-input-nobody', password: 'not the password' } });

    expectError(wrongPassword, 401, 'UNAUTHORIZED');
    expect(unknownUser.body).toEqual(wrongPassword.body);
    expect(unknownUser.status).toBe(wrongPassword.status);
    expect(unknownUser.headers.getSetCookie()).toEqual([]);
  });

  it('answers an unknown route with 404 NOT_FOUND JSON', async () => {
    expectError(await request(auth.baseUrl, 'GET', '/auth/nope'), 404, 'NOT_FOUND');
    expectError(await request(auth.baseUrl, 'PUT', '/auth/login', { json: {} }), 404, 'NOT_FOUND');
  });

  it('answers a malformed percent-encoding in a path parameter with 400 INVALID_INPUT', async () => {
    await registerUser(auth.baseUrl, 'bad-input-bob', PASSWORD);
    const session = await login(auth.baseUrl, 'bad-input-bob', PASSWORD);

    expectError(await request(auth.baseUrl, 'DELETE', '/auth/sessions/%E0%A4%A', { headers: bearer(session.accessToken) }), 400, 'INVALID_INPUT');
  });
});
