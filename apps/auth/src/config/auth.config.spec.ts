import { InvalidConfigError } from '@app/config';
import { loadAuthConfig } from './auth.config';

describe('loadAuthConfig', () => {
  it('defaults to OWASP argon2id parameters, 15-minute tokens and a generated dev key', () => {
    const config = loadAuthConfig({});
    expect(config.passwordHashing).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(config.accessTokenTtlSeconds).toBe(900);
    expect(config.signingKeys.current.generatedFile).toBeDefined();
    expect(config.admin).toEqual({ username: 'admin', password: undefined });
  });

  it('gives the session store a 30-second refresh reuse grace by default; 0 turns it off; at most 300 s', () => {
    expect(loadAuthConfig({}).sessions).toEqual({ idleTtlSeconds: 43_200, absoluteTtlSeconds: 604_800, refreshReuseGraceSeconds: 30 });
    expect(loadAuthConfig({ REFRESH_REUSE_GRACE: '0' }).sessions.refreshReuseGraceSeconds).toBe(0);
    expect(loadAuthConfig({ REFRESH_REUSE_GRACE: '300' }).sessions.refreshReuseGraceSeconds).toBe(300);
    expect(() => loadAuthConfig({ REFRESH_REUSE_GRACE: '301' })).toThrow(/REFRESH_REUSE_GRACE: .*300/);
  });

  it('limits logins per IP and per username from one IP over 15 minutes, and per username from everywhere over an hour', () => {
    expect(loadAuthConfig({}).loginLimits).toEqual({
      windowSeconds: 900,
      attemptsPerIp: 100,
      failuresPerUsernameAndIp: 10,
      usernameCeiling: { failures: 100, windowSeconds: 3600 },
      knownAddressTtlSeconds: 2_592_000,
    });
  });

  it('keeps the username ceiling above what one client can fail within one ceiling window', () => {
    // Defaults: 10 × (⌈3600 / 900⌉ + 1) = 50 < 100.
    expect(() => loadAuthConfig({ LOGIN_LIMIT_USERNAME_CEILING: '50' })).toThrow(InvalidConfigError);
    expect(() => loadAuthConfig({ LOGIN_LIMIT_USERNAME_CEILING: '50' })).toThrow(
      /LOGIN_LIMIT_USERNAME_CEILING: must be greater than 50, the failures one client can make within one ceiling window .*10 × \(⌈3600 \/ 900⌉ \+ 1\)/,
    );
    expect(loadAuthConfig({ LOGIN_LIMIT_USERNAME_CEILING: '51' }).loginLimits.usernameCeiling.failures).toBe(51);
    // A ceiling window that is not a multiple of the window: ⌈1000 / 900⌉ + 1 = 3 windows of one client.
    expect(() => loadAuthConfig({ LOGIN_LIMIT_USERNAME_CEILING_WINDOW: '1000', LOGIN_LIMIT_USERNAME_CEILING: '30' })).toThrow(/must be greater than 30/);
    expect(loadAuthConfig({ LOGIN_LIMIT_USERNAME_CEILING_WINDOW: '1000', LOGIN_LIMIT_USERNAME_CEILING: '31' }).loginLimits.usernameCeiling.failures).toBe(31);
    // Raising the per-client limit alone is refused too: 30 × 5 = 150 ≥ 100.
    expect(() => loadAuthConfig({ LOGIN_LIMIT_PER_USERNAME: '30' })).toThrow(/LOGIN_LIMIT_USERNAME_CEILING: must be greater than 150/);
  });

  it('lets production forbid generated keys', () => {
    expect(loadAuthConfig({ ALLOW_DEV_SIGNING_KEY: 'false' }).signingKeys.current.generatedFile).toBeUndefined();
  });

  it.each([
    ['PORT', '99999'],
    ['ADMIN_PASSWORD', 'short'],
    ['ADMIN_USERNAME', 'a b'],
    ['BODY_LIMIT', 'lots'],
    ['ARGON2_MEMORY_KIB', '1024'],
    ['SESSION_IDLE_TTL', '0'],
    ['REFRESH_REUSE_GRACE', '-1'],
    ['LOGIN_LIMIT_USERNAME_CEILING', '0'],
  ])('stops the boot on a bad %s', (variable, value) => {
    expect(() => loadAuthConfig({ [variable]: value })).toThrow(InvalidConfigError);
    expect(() => loadAuthConfig({ [variable]: value })).toThrow(new RegExp(variable));
  });

  describe('OIDC_ISSUERS', () => {
    const okta = { name: 'okta', issuer: 'https://example.okta.com', audience: 'api://sessionwire', clientId: '0oa1' };

    it('defaults to no external issuer', () => {
      expect(loadAuthConfig({}).oidcIssuers).toEqual([]);
    });

    it('reads a JSON array of trusted issuers with their defaults', () => {
      expect(loadAuthConfig({ OIDC_ISSUERS: JSON.stringify([okta]) }).oidcIssuers).toEqual([
        { ...okta, algorithms: ['RS256', 'ES256'], claims: { userId: 'sub', sessionId: 'sid' }, clockSkewSeconds: 30, maxTokenLifetimeSeconds: 3600 },
      ]);
    });

    it.each([
      ['not JSON', '[{', /OIDC_ISSUERS: expected JSON/],
      ['not an array', JSON.stringify(okta), /OIDC_ISSUERS: .*array/],
      ['an entry without audience', JSON.stringify([okta, { ...okta, name: 'b', issuer: 'https://b.example.com', audience: undefined }]), /OIDC_ISSUERS\.1\.audience: /],
      ['an HMAC algorithm', JSON.stringify([{ ...okta, algorithms: ['HS256'] }]), /OIDC_ISSUERS\.0\.algorithms\.0: .*never HS/],
      ['a plain http issuer', JSON.stringify([{ ...okta, issuer: 'http://idp.example.com' }]), /OIDC_ISSUERS\.0\.issuer: /],
      ['an empty client id', JSON.stringify([{ ...okta, clientId: '' }]), /OIDC_ISSUERS\.0\.clientId: /],
      ['a duplicate issuer', JSON.stringify([okta, { ...okta, name: 'again' }]), /OIDC_ISSUERS\.1\.issuer: duplicate issuer/],
    ])('stops the boot on %s, naming the entry and field', (_case, value, problem) => {
      expect(() => loadAuthConfig({ OIDC_ISSUERS: value })).toThrow(InvalidConfigError);
      expect(() => loadAuthConfig({ OIDC_ISSUERS: value })).toThrow(problem);
    });
  });
});
