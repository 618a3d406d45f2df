import { ZodError } from 'zod';
import { ADMITTED_SESSION_FIELDS } from './session-check';
import { admittedSessionFromReply } from './session-store';

const userId = '8d7f4f5e-0a3c-4c8e-9f3e-2b1f6d0c9a11';
const sessionId = 'c0b5a7d2-6e4f-4d1a-8b9c-3e2f1a0d5b7c';

function reply(values: Record<string, string | null>): Array<string | null> {
  return ADMITTED_SESSION_FIELDS.map((field) => values[field] ?? null);
}

describe('admittedSessionFromReply', () => {
  it('parses the admitted fields and the session data', () => {
    const session = admittedSessionFromReply(userId, sessionId, reply({ roles: 'admin', createdAt: '1000', expiresAt: '2000' }), ['theme', '"dark"']);
    expect(session).toEqual({ userId, sessionId, roles: ['admin'], createdAt: 1000, expiresAt: 2000, data: { theme: 'dark' } });
  });

  it.each(['roles', 'createdAt', 'expiresAt'])('refuses a record without %s (HMGET answers nil) instead of reading it as 0 or empty', (missing) => {
    const values: Record<string, string | null> = { roles: '', createdAt: '1000', expiresAt: '2000' };
    values[missing] = null;
    expect(() => admittedSessionFromReply(userId, sessionId, reply(values), [])).toThrow(ZodError);
  });
});
