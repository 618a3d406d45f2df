import { trustedIssuerSchema } from './trusted-issuer';

describe('trustedIssuerSchema', () => {
  const entry = { name: 'idp', issuer: 'https://idp.example.com', audience: 'api', clientId: 'sessionwire-client' };

  it('takes an audience apart from the client id', () => {
    expect(trustedIssuerSchema.safeParse(entry).success).toBe(true);
    expect(trustedIssuerSchema.safeParse({ ...entry, audience: ['api', 'api-2'] }).success).toBe(true);
  });

  it.each([['sessionwire-client'], [['api', 'sessionwire-client']]])('refuses an audience %p that includes the client id, saying why', (audience) => {
    const parsed = trustedIssuerSchema.safeParse({ ...entry, audience });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([expect.objectContaining({ path: ['audience'], message: expect.stringMatching(/must not include clientId: ID tokens and logout tokens/) })]);
  });
});
