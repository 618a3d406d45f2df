import { externalSessionId, externalUserId, sessionlessSessionId, trustedIssuerSchema } from '@app/oidc';
import type { KeyResolver } from '@app/tokens';
import { generateKeyPair, SignJWT } from 'jose';
import { KeyObject } from 'node:crypto';
import { CredentialRefusal } from './credential-verification';
import { CredentialVerifier } from './credential-verifier';
import { externalTokenCredential, rolesIn } from './external-token-verification';

const issuer = trustedIssuerSchema.parse({
  name: 'idp',
  issuer: 'https://idp.example.com',
  audience: 'api',
  algorithms: ['ES256', 'EdDSA'],
  claims: { roles: 'realm_access.roles' },
  maxTokenLifetimeSeconds: 600,
});
const now = 1_800_000_000;

function refusalOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof CredentialRefusal) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('externalTokenCredential (claim mapping)', () => {
  const claims = { iss: issuer.issuer, sub: 'alice', sid: 'provider-session-1', iat: now, exp: now + 300 };

  it('derives our user and session ids from the provider values and keeps those', () => {
    expect(externalTokenCredential(issuer, { ...claims, auth_time: now - 60, realm_access: { roles: ['editor', 'viewer'] } }, now * 1000)).toEqual({
      kind: 'external_token',
      userId: externalUserId(issuer.issuer, 'alice'),
      sessionId: externalSessionId(issuer.issuer, 'provider-session-1'),
      expiresAt: (now + 300) * 1000,
      cookieHash: null,
      issuer: issuer.issuer,
      subject: 'alice',
      providerSessionId: 'provider-session-1',
      sessionStartedAt: (now - 60) * 1000,
      roles: ['editor', 'viewer'],
    });
  });

  it('takes the session start as never later than the token (an auth_time after iat is clamped to iat)', () => {
    expect(externalTokenCredential(issuer, { ...claims, auth_time: now + 20 }, now * 1000).sessionStartedAt).toBe(now * 1000);
  });

  it('without a sid: one sessionless session per user, started at iat, no roles', () => {
    const credential = externalTokenCredential(issuer, { ...claims, sid: undefined }, now * 1000);
    expect(credential).toMatchObject({ sessionId: sessionlessSessionId(issuer.issuer, 'alice'), providerSessionId: null, sessionStartedAt: now * 1000, roles: [] });
  });

  it('reads the user and session ids from configured claim paths, and keeps tracking the user by sub (what logout tokens name)', () => {
    const custom = trustedIssuerSchema.parse({ ...issuer, claims: { userId: 'ext.uid', sessionId: 'session_state' } });
    const credential = externalTokenCredential(custom, { ...claims, ext: { uid: 'u-7' }, session_state: 's-9' }, now * 1000);
    expect(credential).toMatchObject({ subject: 'u-7', providerSessionId: 's-9', userId: externalUserId(issuer.issuer, 'alice') });
    const withoutSid = externalTokenCredential(custom, { ...claims, ext: { uid: 'u-7' } }, now * 1000);
    expect(withoutSid.sessionId).toBe(sessionlessSessionId(issuer.issuer, 'alice'));
    expect(refusalOf(() => externalTokenCredential(custom, claims, now * 1000))).toMatch(/no user id in claim ext\.uid/);
  });

  it.each([
    ['no exp', { ...claims, exp: undefined }, /exp and iat are required/],
    ['no iat', { ...claims, iat: undefined }, /exp and iat are required/],
    ['a lifetime over the maximum', { ...claims, exp: now + 601 }, /longer than 600 s/],
    ['iat in the future beyond the skew', { ...claims, iat: now + 31, exp: now + 60 }, /issued in the future/],
    ['no sub', { ...claims, sub: undefined }, /no sub/],
    ['an empty sub', { ...claims, sub: '' }, /no sub/],
    ['a sid that is not a string', { ...claims, sid: 42 }, /claim sid is not a session id/],
    ['events (a logout token)', { ...claims, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } }, /not an access token/],
    ['a sub with a lone surrogate', { ...claims, sub: 'alice\uD800' }, /sub holds a lone surrogate/],
    ['a sid with a lone surrogate', { ...claims, sid: 's\uDC00' }, /claim sid is not a session id: holds a lone surrogate/],
    ['a sub over 1024 characters', { ...claims, sub: 'a'.repeat(1025) }, /sub not a string of 1 to 1024 characters/],
    ['a sid over 1024 characters', { ...claims, sid: 's'.repeat(1025) }, /claim sid is not a session id: not a string of 1 to 1024/],
    ['a sub that is not a string', { ...claims, sub: 7 }, /no sub/],
  ])('refuses a token with %s', (_label, payload, reason) => {
    expect(refusalOf(() => externalTokenCredential(issuer, payload, now * 1000))).toMatch(new RegExp(`^UNAUTHORIZED: .*${reason.source}`));
  });

  it.each([
    [['a', 'b'], ['a', 'b']],
    ['admin', ['admin']],
    [['a', 1], []],
    [{ a: 1 }, []],
    [undefined, []],
    [7, []],
  ])('roles of %p are %p', (value, roles) => {
    expect(rolesIn(value)).toEqual(roles);
  });
});

describe('CredentialVerifier routing by iss', () => {
  let lookups: number;
  let keys: KeyResolver;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const publicKey = KeyObject.from(pair.publicKey);
    keys = {
      keyFor: async () => {
        lookups++;
        return publicKey;
      },
    };
  });

  beforeEach(() => (lookups = 0));

  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ sid: 's-1', ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('alice').setAudience('api').setIssuedAt().setExpirationTime('5m').sign(privateKey);

  it('verifies a token of a configured external issuer with its keys', async () => {
    const verifier = new CredentialVerifier({ externalIssuers: [{ issuer, keys }] });
    const credential = await verifier.verify({ authorization: `Bearer ${await sign({ iss: issuer.issuer })}` });
    expect(credential).toMatchObject({ kind: 'external_token', subject: 'alice', providerSessionId: 's-1' });
    expect(lookups).toBe(1);
  });

  it('takes typ JWT, at+jwt or none, and refuses any other type (a logout token) before any key is looked up', async () => {
    const verifier = new CredentialVerifier({ externalIssuers: [{ issuer, keys }] });
    const typed = (typ: string | undefined) =>
      new SignJWT({ sid: 's-1', iss: issuer.issuer }).setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ === undefined ? {} : { typ }) }).setSubject('alice').setAudience('api').setIssuedAt().setExpirationTime('5m').sign(privateKey);
    for (const typ of [undefined, 'JWT', 'at+jwt', 'application/at+jwt']) {
      await expect(verifier.verify({ authorization: `Bearer ${await typed(typ)}` })).resolves.toMatchObject({ kind: 'external_token' });
    }
    lookups = 0;
    for (const typ of ['logout+jwt', 'secevent+jwt']) {
      await expect(verifier.verify({ authorization: `Bearer ${await typed(typ)}` })).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/typ says it is not an access token/) });
    }
    expect(lookups).toBe(0);
  });

  it('refuses a token of an unknown issuer, or without one, before any key is looked up', async () => {
    const verifier = new CredentialVerifier({ externalIssuers: [{ issuer, keys }] });
    for (const token of [await sign({ iss: 'https://evil.example.com' }), await sign({})]) {
      await expect(verifier.verify({ authorization: `Bearer ${token}` })).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/issuer \(iss\) is not trusted/) });
    }
    await expect(verifier.verify({ authorization: 'Bearer not.a.jwt' })).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/malformed/) });
    expect(lookups).toBe(0);
  });
});
