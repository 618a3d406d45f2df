import { expectError, USER_ID } from '../support/assertions';
import type { AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { login, registerUser, request } from '../support/http';

const PASSWORD = 'correct horse battery';

describe('POST /auth/register', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;

  const register = (username: string, password = PASSWORD) =>
    request<{ id: string; username: string }>(auth.baseUrl, 'POST', '/auth/register', { json: { username, password } });

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth());
  });

  afterAll(() => cleanup?.());

  it('creates the user: 201 {id, username}, and the user can log in', async () => {
    const response = await register('reg-alice');

    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id: expect.stringMatching(USER_ID), username: 'reg-alice' });
    const session = await login(auth.baseUrl, 'reg-alice', PASSWORD);
    expect(session.user).toEqual({ id: response.body.id, username: 'reg-alice', roles: ['user'] });
  });

  it('refuses a taken username with 409 CONFLICT and keeps the first account', async () => {
    const first = await registerUser(auth.baseUrl, 'reg-bob', PASSWORD);

    expectError(await register('reg-bob', 'another password'), 409, 'CONFLICT');
    const session = await login(auth.baseUrl, 'reg-bob', PASSWORD);
    expect(session.user.id).toBe(first.id);
  });

  it('treats usernames case-insensitively: "Reg-Carol" is taken once "reg-carol" exists', async () => {
    await registerUser(auth.baseUrl, 'reg-carol');

    expectError(await register('Reg-Carol'), 409, 'CONFLICT');
    expectError(await register('REG-CAROL'), 409, 'CONFLICT');
  });

  it('20 concurrent registrations of one name: exactly one 201, nineteen 409, and the winner is the account', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, (_, attempt) => register('reg-race', `password-of-attempt-${attempt}`)));

    const created = responses.filter((response) => response.status === 201);
    expect(created).toHaveLength(1);
    for (const response of responses.filter((candidate) => candidate.status !== 201)) expectError(response, 409, 'CONFLICT');
    // Only the winner's password opens the account, and it is the winner's id that logs in.
    const winner = responses.indexOf(created[0]);
    const session = await login(auth.baseUrl, 'reg-race', `password-of-attempt-${winner}`);
    expect(session.user.id).toBe(created[0].body.id);
    const loser = (winner + 1) % responses.length;
    expectError(
      await request(auth.baseUrl, 'POST', '/auth/login', { json: { username: 'reg-race', password: `password-of-attempt-${loser}` } }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('two concurrent registrations differing only in case: one 201, one 409', async () => {
    const responses = await Promise.all([register('reg-dave'), register('REG-DAVE')]);

    expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
    expectError(responses.find((response) => response.status === 409)!, 409, 'CONFLICT');
  });
});
