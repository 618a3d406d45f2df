import { validateEndProviderSessionsInput, type EndProviderSessionsInput } from './end-provider-sessions-input';
import { InvalidRevocationError } from './revoke-errors';

const issuer = 'https://idp.example.com/realms/main';
const valid: EndProviderSessionsInput = { issuer, subject: 'alice', providerSessionId: 'sid-1', ttlSeconds: 3660 };

describe('endProviderSessions input', () => {
  it.each<[string, EndProviderSessionsInput, object]>([
    ['a session of a user', valid, { ended: { subject: 'alice', providerSessionId: 'sid-1' } }],
    ['a session alone', { issuer, providerSessionId: 'sid-1', ttlSeconds: 60 }, { ended: { subject: null, providerSessionId: 'sid-1' } }],
    ['every session of a user', { issuer, subject: 'alice', providerSessionId: null, ttlSeconds: 60 }, { ended: { subject: 'alice', providerSessionId: null } }],
    ['when it ended, by the provider', { ...valid, endedAt: 1_795_343_341_999 }, { endedAt: 1_795_343_341_999 }],
    ['an event id, a reason and a confirmation', { ...valid, eventId: 'jti-1', reason: 'admin_revoke', confirm: { timeoutMs: 500 } }, { eventId: 'jti-1', reason: 'admin_revoke', confirm: { timeoutMs: 500 } }],
  ])('accepts %s', (_case, input, expected) => {
    expect(validateEndProviderSessionsInput(input)).toMatchObject({ issuer: input.issuer, ttlSeconds: input.ttlSeconds, ...expected });
  });

  it('defaults the reason to provider_logout', () => {
    expect(validateEndProviderSessionsInput(valid).reason).toBe('provider_logout');
  });

  it.each<[string, unknown, RegExp]>([
    ['neither subject nor session', { issuer, ttlSeconds: 60 }, /subject, providerSessionId or both/],
    ['both null', { issuer, subject: null, providerSessionId: null, ttlSeconds: 60 }, /subject, providerSessionId or both/],
    ['an empty issuer', { ...valid, issuer: '' }, /issuer/],
    ['an empty subject', { ...valid, subject: '' }, /subject/],
    ['a session id longer than 1024 characters', { ...valid, providerSessionId: 's'.repeat(1025) }, /providerSessionId/],
    ['a missing TTL', { issuer, subject: 'alice' }, /ttlSeconds/],
    ['a zero TTL', { ...valid, ttlSeconds: 0 }, /ttlSeconds/],
    ['a fractional TTL', { ...valid, ttlSeconds: 1.5 }, /ttlSeconds/],
    ['a TTL beyond 30 days (milliseconds by mistake)', { ...valid, ttlSeconds: 3_660_000 }, /ttlSeconds/],
    ['an end an hour in the future', { ...valid, endedAt: Date.now() + 3_600_000 }, /endedAt/],
    ['an end in seconds, not milliseconds', { ...valid, endedAt: 1.5 }, /endedAt/],
    ['an unknown reason', { ...valid, reason: 'bored' }, /reason/],
    ['an empty event id', { ...valid, eventId: '' }, /eventId/],
    ['a zero confirmation deadline', { ...valid, confirm: { timeoutMs: 0 } }, /timeoutMs/],
    ['an unknown option', { ...valid, userId: 'x' }, /userId/],
    ['no object at all', null, /expected object/],
  ])('refuses %s with InvalidRevocationError naming the field', (_case, input, field) => {
    let thrown: unknown;
    try {
      validateEndProviderSessionsInput(input as EndProviderSessionsInput);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidRevocationError);
    expect(thrown).toMatchObject({ code: 'INVALID_REVOCATION', message: expect.stringMatching(field) });
  });
});
