import { createExternalUserLoggedOut, createUserLoggedOut, parseUserLoggedOut, userLoggedOutSchema } from './user-logged-out';

const userId = '0b9f6a43-6f2c-4c55-8d0a-2f1f0f6c7d11';

describe('user-logged-out contract', () => {
  it('round-trips a message built by the publisher', () => {
    const message = createUserLoggedOut(userId, ['AAAAAAAAAAAAAAAAAAAAAAAA'], 'logout');
    expect(parseUserLoggedOut(JSON.stringify(message))).toEqual({ ok: true, message });
    expect(message).toEqual({ v: 1, id: expect.any(String), userId, sessionIds: ['AAAAAAAAAAAAAAAAAAAAAAAA'], reason: 'logout', at: expect.any(Number) });
  });

  it('accepts sessionIds: null (every session of the user)', () => {
    const message = createUserLoggedOut(userId, null, 'admin_revoke');
    expect(parseUserLoggedOut(JSON.stringify(message)).ok).toBe(true);
  });

  it('round-trips version 2 (an external provider session), which the version 1 schema refuses', () => {
    const message = createExternalUserLoggedOut('https://idp.example.com', { subject: 'alice', providerSessionId: 'sid-1' }, 'provider_logout');
    expect(parseUserLoggedOut(JSON.stringify(message))).toEqual({ ok: true, message });
    expect(userLoggedOutSchema.safeParse(message).success).toBe(false);
    const everySession = createExternalUserLoggedOut('https://idp.example.com', { subject: 'alice', providerSessionId: null }, 'provider_logout');
    expect(parseUserLoggedOut(JSON.stringify(everySession)).ok).toBe(true);
  });

  it.each([
    ['not JSON', '{"v":1'],
    ['another version', JSON.stringify({ ...createUserLoggedOut(userId, null, 'logout'), v: 3 })],
    ['version 1 fields under version 2', JSON.stringify({ ...createUserLoggedOut(userId, null, 'logout'), v: 2 })],
    ['version 2 naming neither subject nor session', JSON.stringify({ ...createExternalUserLoggedOut('https://idp.example.com', { subject: 'a', providerSessionId: null }, 'provider_logout'), subject: null })],
    ['an unknown reason', JSON.stringify({ ...createUserLoggedOut(userId, null, 'logout'), reason: 'bored' })],
    ['an extra field', JSON.stringify({ ...createUserLoggedOut(userId, null, 'logout'), extra: true })],
    ['an empty session list', JSON.stringify({ ...createUserLoggedOut(userId, null, 'logout'), sessionIds: [] })],
    ['a malformed user id', JSON.stringify({ ...createUserLoggedOut(userId, null, 'logout'), userId: 'x' })],
    ['an array', '[]'],
  ])('refuses %s without throwing', (_case, payload) => {
    expect(parseUserLoggedOut(payload)).toEqual({ ok: false, error: expect.any(String) });
  });
});
