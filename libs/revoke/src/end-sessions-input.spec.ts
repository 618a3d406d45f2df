import { validateEndSessionsInput, type EndSessionsInput } from './end-sessions-input';
import { InvalidRevocationError } from './revoke-errors';

const userId = '0b9f6a43-6f2c-4c55-8d0a-2f1f0f6c7d11';
const sessionId = 'AAAAAAAAAAAAAAAAAAAAAAAA';
const valid: EndSessionsInput = { userId, sessionIds: [sessionId], reason: 'logout' };

describe('endSessions input', () => {
  it.each<[string, EndSessionsInput]>([
    ['listed sessions', valid],
    ['every session (null)', { userId, sessionIds: null, reason: 'admin_revoke' }],
    ['a confirmation with a deadline', { ...valid, confirm: { timeoutMs: 500 } }],
    ['a confirmation with the default deadline', { ...valid, confirm: {} }],
    ['a caller by token', { ...valid, caller: { sessionId, cookieHash: null } }],
    ['a caller by cookie', { ...valid, caller: { sessionId, cookieHash: 'f'.repeat(64) } }],
  ])('accepts %s', (_case, input) => {
    expect(validateEndSessionsInput(input)).toEqual(input);
  });

  it.each<[string, unknown, RegExp]>([
    ['a user id that is not a UUIDv4', { ...valid, userId: 'alice' }, /userId/],
    ['a malformed session id', { ...valid, sessionIds: ['short'] }, /sessionIds/],
    ['an empty session list (null means all)', { ...valid, sessionIds: [] }, /sessionIds/],
    ['more than 10,000 session ids', { ...valid, sessionIds: Array.from({ length: 10_001 }, () => sessionId) }, /sessionIds/],
    ['a missing session list', { userId, reason: 'logout' }, /sessionIds/],
    ['an unknown reason', { ...valid, reason: 'bored' }, /reason/],
    ['a zero confirmation deadline', { ...valid, confirm: { timeoutMs: 0 } }, /timeoutMs/],
    ['a fractional confirmation deadline', { ...valid, confirm: { timeoutMs: 1.5 } }, /timeoutMs/],
    ['a malformed caller session id', { ...valid, caller: { sessionId: '../x' } }, /caller/],
    ['an unknown option', { ...valid, force: true }, /force/],
    ['no object at all', null, /expected object/],
  ])('refuses %s with InvalidRevocationError naming the field', (_case, input, field) => {
    let thrown: unknown;
    try {
      validateEndSessionsInput(input as EndSessionsInput);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidRevocationError);
    expect(thrown).toMatchObject({ name: 'InvalidRevocationError', code: 'INVALID_REVOCATION', message: expect.stringMatching(field) });
  });
});
