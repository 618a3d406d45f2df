import { InvalidSessionwireOptionsError } from './errors';
import { resolveOptions, type SessionwireOptions } from './options';

const valid: SessionwireOptions = {
  redis: 'redis://127.0.0.1:6379',
  allowedOrigins: ['https://app.example.com'],
  accessTokens: { jwksUrl: 'http://auth:3000/.well-known/jwks.json', issuer: 'sessionwire-auth', audience: 'sessionwire' },
};

function problemsOf(options: unknown): Array<{ option: string; problem: string }> {
  try {
    resolveOptions(options as SessionwireOptions);
  } catch (error) {
    if (error instanceof InvalidSessionwireOptionsError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the options to be refused');
}

describe('resolveOptions', () => {
  it('applies every documented default', () => {
    const resolved = resolveOptions(valid);
    expect(resolved).toEqual({
      nodeId: expect.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
      allowedOrigins: ['https://app.example.com'],
      jwks: { url: 'http://auth:3000/.well-known/jwks.json', waitMs: 30_000, cooldownMs: 30_000, cacheMaxAgeMs: 600_000, timeoutMs: 5000 },
      accessTokens: { issuer: 'sessionwire-auth', audience: 'sessionwire' },
      oidcIssuers: [],
      oidcKeys: { waitMs: 30_000, cooldownMs: 30_000, cacheMaxAgeMs: 600_000, timeoutMs: 5000 },
      cookieName: undefined,
      allowQueryToken: false,
      trustProxy: ['loopback'],
      handshakeRateLimit: { perIp: 120, windowSeconds: 10 },
      connectionLimit: { perUser: 0, policy: 'reject_new' },
      sessionIdleTimeoutSeconds: 43_200,
      expiryWarningMs: 30_000,
      recheckIntervalMs: 30_000,
      presence: { heartbeatIntervalMs: 5000, heartbeatTtlMs: 15_000, sweepIntervalMs: 10_000 },
      drainWindowMs: 10_000,
    });
    expect(resolved.nodeId).toContain(String(process.pid));
  });

  it('splits a comma-separated trustProxy and converts seconds to milliseconds', () => {
    const resolved = resolveOptions({ ...valid, trustProxy: 'loopback, 10.0.0.0/8', drainWindowSeconds: 0, presence: { heartbeatIntervalSeconds: 1, heartbeatTtlSeconds: 3 } });
    expect(resolved.trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(resolved.drainWindowMs).toBe(0);
    expect(resolved.presence).toEqual({ heartbeatIntervalMs: 1000, heartbeatTtlMs: 3000, sweepIntervalMs: 10_000 });
  });

  const idp = { name: 'idp', issuer: 'https://idp.example.com', audience: 'sessionwire' };

  it('takes external issuers with their defaults, with or without accessTokens', () => {
    const resolved = resolveOptions({ ...valid, accessTokens: undefined, oidcIssuers: [idp] });
    expect(resolved.accessTokens).toBeUndefined();
    expect(resolved.jwks).toBeUndefined();
    expect(resolved.oidcIssuers).toEqual([
      { ...idp, algorithms: ['RS256', 'ES256'], claims: { userId: 'sub', sessionId: 'sid' }, clockSkewSeconds: 30, maxTokenLifetimeSeconds: 3600 },
    ]);
    expect(resolveOptions({ ...valid, oidcIssuers: [idp] }).oidcIssuers).toHaveLength(1);
  });

  it('needs accessTokens, oidcIssuers or both', () => {
    for (const options of [{ ...valid, accessTokens: undefined }, { ...valid, accessTokens: undefined, oidcIssuers: [] }]) {
      expect(problemsOf(options)).toEqual([{ option: 'accessTokens', problem: 'set accessTokens, oidcIssuers, or both: no token could be accepted' }]);
    }
  });

  it('accepts an ioredis-like client and RedisOptions for redis', () => {
    expect(() => resolveOptions({ ...valid, redis: { host: '127.0.0.1', port: 6379 } })).not.toThrow();
    const client = { duplicate: () => client };
    expect(() => resolveOptions({ ...valid, redis: client as unknown as SessionwireOptions['redis'] })).not.toThrow();
  });

  it.each([
    ['redis', { ...valid, redis: 'http://127.0.0.1:6379' }],
    ['redis', { ...valid, redis: undefined }],
    ['allowedOrigins', { ...valid, allowedOrigins: undefined }],
    ['allowedOrigins.0', { ...valid, allowedOrigins: ['https://app.example.com/path'] }],
    ['accessTokens.jwksUrl', { ...valid, accessTokens: { ...valid.accessTokens!, jwksUrl: 'ftp://auth/jwks' } }],
    ['accessTokens.issuer', { ...valid, accessTokens: { ...valid.accessTokens!, issuer: '' } }],
    ['nodeId', { ...valid, nodeId: 'node 1' }],
    ['cookieName', { ...valid, cookieName: 'a b' }],
    ['handshakeRateLimit.perIp', { ...valid, handshakeRateLimit: { perIp: 0, windowSeconds: 10 } }],
    ['connectionLimit.policy', { ...valid, connectionLimit: { perUser: 2, policy: 'drop_random' } }],
    ['connectionLimit.perUser', { ...valid, connectionLimit: { perUser: -1, policy: 'reject_new' } }],
    ['presence.heartbeatTtlSeconds', { ...valid, presence: { heartbeatIntervalSeconds: 20 } }],
    ['metrics.registry', { ...valid, metrics: { registry: {} } }],
    ['logger', { ...valid, logger: { info: () => undefined } }],
    ['cookieName', { ...valid, accessTokens: undefined, oidcIssuers: [idp], cookieName: 'sid' }],
    ['oidcIssuers.1.algorithms.0', { ...valid, oidcIssuers: [idp, { ...idp, name: 'other', issuer: 'https://other.example.com', algorithms: ['HS256'] }] }],
    ['oidcIssuers.0.algorithms.0', { ...valid, oidcIssuers: [{ ...idp, algorithms: ['none'] }] }],
    ['oidcIssuers.0.issuer', { ...valid, oidcIssuers: [{ ...idp, issuer: 'http://idp.example.com' }] }],
    ['oidcIssuers.0.audience', { ...valid, oidcIssuers: [{ ...idp, audience: undefined }] }],
    ['oidcIssuers.1.issuer', { ...valid, oidcIssuers: [idp, { ...idp, name: 'again' }] }],
    ['oidcIssuers.0.issuer', { ...valid, accessTokens: { ...valid.accessTokens!, issuer: idp.issuer }, oidcIssuers: [idp] }],
  ])('names the bad option %s', (option, options) => {
    expect(problemsOf(options).map((problem) => problem.option)).toEqual([option]);
  });

  it('throws a named error whose message lists every bad option', () => {
    const error = (() => {
      try {
        resolveOptions({ ...valid, nodeId: '', expiryWarningSeconds: -1 });
      } catch (caught) {
        return caught as InvalidSessionwireOptionsError;
      }
    })();
    expect(error).toBeInstanceOf(InvalidSessionwireOptionsError);
    expect(error?.name).toBe('InvalidSessionwireOptionsError');
    expect(error?.code).toBe('INVALID_OPTIONS');
    expect(error?.message).toMatch(/nodeId: .*; expiryWarningSeconds: /);
  });
});
