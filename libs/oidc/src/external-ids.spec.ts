import { sessionIdSchema, userIdSchema } from '@app/contracts';
import { externalSessionId, externalUserId, isExternalUserId, providerValueProblem, sessionlessSessionId } from './external-ids';

describe('external ids', () => {
  const issuer = 'https://idp.example.com/realms/main';

  it('derives a UUIDv8 user id that the user id schema accepts, stable per (issuer, subject)', () => {
    const id = externalUserId(issuer, 'alice');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(userIdSchema.safeParse(id).success).toBe(true);
    expect(externalUserId(issuer, 'alice')).toBe(id);
    expect(externalUserId(issuer, 'bob')).not.toBe(id);
    expect(externalUserId('https://other.example.com', 'alice')).not.toBe(id);
    expect(isExternalUserId(id)).toBe(true);
    expect(isExternalUserId('0b9f6a43-6f2c-4c55-8d0a-2f1f0f6c7d11')).toBe(false);
  });

  it('derives session ids shaped as our own, distinct per issuer and from the sessionless id', () => {
    const id = externalSessionId(issuer, 'sid-1');
    expect(sessionIdSchema.safeParse(id).success).toBe(true);
    expect(externalSessionId('https://other.example.com', 'sid-1')).not.toBe(id);
    expect(sessionlessSessionId(issuer, 'sid-1')).not.toBe(id);
    expect(sessionIdSchema.safeParse(sessionlessSessionId(issuer, 'alice')).success).toBe(true);
  });

  it('takes a sub or sid of 1 to 1024 characters of valid Unicode, whose digests then differ', () => {
    for (const value of ['alice', 'a'.repeat(1024), 'émile 😀']) expect(providerValueProblem(value)).toBeUndefined();
    expect(providerValueProblem('')).toMatch(/1 to 1024/);
    expect(providerValueProblem('a'.repeat(1025))).toMatch(/1 to 1024/);
    expect(providerValueProblem(42)).toMatch(/1 to 1024/);
    // These three hash alike (UTF-8 turns lone surrogates into U+FFFD): the two with one are refused.
    expect(externalUserId(issuer, 'alice\uD800')).toBe(externalUserId(issuer, 'alice\uFFFD'));
    expect(providerValueProblem('alice\uD800')).toMatch(/lone surrogate/);
    expect(providerValueProblem('alice\uDC00')).toMatch(/lone surrogate/);
    expect(providerValueProblem('alice\uFFFD')).toBeUndefined();
  });
});
