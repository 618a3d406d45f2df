import type { ErrorCode } from '@app/contracts';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import { expectError } from '../support/assertions';
import type { AuthApp } from '../support/auth-app';
import { setupAuth } from '../support/auth-setup';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';

interface ForgeryContext {
  realKey: KeyObject;
  realKid: string;
  publicPem: string;
  otherKey: KeyObject;
  otherKid: string;
  claims(overrides?: JWTPayload): JWTPayload;
  session: LoggedIn;
}

type Header = Record<string, unknown>;

const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Signs with ES256 whatever header and claims we are told to, missing `kid`/`typ` included. */
function es256(key: KeyObject, header: Header, payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', ...header }).sign(key);
}

describe('access tokens: forged, tampered and expired ones are refused; the JWKS verifies real ones', () => {
  let auth: AuthApp;
  let cleanup: () => Promise<void>;
  let context: ForgeryContext;

  beforeAll(async () => {
    ({ auth, cleanup } = await setupAuth());
    await registerUser(auth.baseUrl, 'tokens-alice');
    const session = await login(auth.baseUrl, 'tokens-alice');
    // The harness keeps the generated signing key in DEV_SIGNING_KEY_FILE: with it we mint tokens that are
    // valid in every respect but the one each case breaks.
    const realKey = createPrivateKey(await readFile(String(auth.config.signingKeys.current.generatedFile), 'utf8'));
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const now = Math.floor(Date.now() / 1000);
    context = {
      realKey,
      realKid: await calculateJwkThumbprint(await exportJWK(createPublicKey(realKey))),
      publicPem: createPublicKey(realKey).export({ type: 'spki', format: 'pem' }).toString(),
      otherKey,
      otherKid: await calculateJwkThumbprint(await exportJWK(createPublicKey(otherKey))),
      session,
      claims: (overrides = {}) => ({
        sub: session.user.id,
        sid: session.sessionId,
        roles: ['user'],
        jti: randomUUID(),
        iss: auth.config.accessTokens.issuer,
        aud: auth.config.accessTokens.audience,
        iat: now,
        nbf: now,
        exp: now + 300,
        ...overrides,
      }),
    };
  });

  afterAll(() => cleanup?.());

  const me = (headers: Record<string, string>) => request(auth.baseUrl, 'GET', '/auth/me', { headers });
  const realHeader = (): Header => ({ kid: context.realKid, typ: 'at+jwt' });

  it('accepts a token minted in the test with the real key (the baseline every forgery below departs from)', async () => {
    const token = await es256(context.realKey, realHeader(), context.claims());

    const response = await me(bearer(token));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: context.session.user.id, sessionId: context.session.sessionId });
  });

  interface Forgery {
    label: string;
    forge: () => Promise<string>;
    code: ErrorCode;
    /** Proves the token was refused for what the case breaks, not for something else. */
    reason: RegExp;
  }

  /** A token from the real key, differing from the baseline only in `overrides` and, if given, the header. */
  const signedWithRealKey =
    (overrides: JWTPayload = {}, header: (realKid: string) => Header = (kid) => ({ kid, typ: 'at+jwt' })) =>
    () =>
      es256(context.realKey, header(context.realKid), context.claims(overrides));
  const now = Math.floor(Date.now() / 1000);

  const forgeries: Forgery[] = [
    {
      label: 'alg none, no signature',
      forge: async () => `${base64url({ alg: 'none', typ: 'at+jwt', kid: context.realKid })}.${base64url(context.claims())}.`,
      code: 'UNAUTHORIZED',
      reason: /alg none not accepted/,
    },
    {
      label: 'HS256 signed with the public key as the HMAC secret',
      forge: async () => {
        const signingInput = `${base64url({ alg: 'HS256', typ: 'at+jwt', kid: context.realKid })}.${base64url(context.claims())}`;
        return `${signingInput}.${createHmac('sha256', context.publicPem).update(signingInput).digest('base64url')}`;
      },
      code: 'UNAUTHORIZED',
      reason: /alg HS256 not accepted/,
    },
    {
      label: 'ES256 signed by another key, claiming the real kid',
      forge: () => es256(context.otherKey, realHeader(), context.claims()),
      code: 'UNAUTHORIZED',
      reason: /invalid signature/,
    },
    {
      label: 'ES256 signed by another key under its own kid',
      forge: () => es256(context.otherKey, { kid: context.otherKid, typ: 'at+jwt' }, context.claims()),
      code: 'UNAUTHORIZED',
      reason: /unknown kid/,
    },
    { label: 'real key, unknown kid', forge: signedWithRealKey({}, () => ({ kid: 'some-other-key', typ: 'at+jwt' })), code: 'UNAUTHORIZED', reason: /unknown kid/ },
    { label: 'real key, no kid', forge: signedWithRealKey({}, () => ({ typ: 'at+jwt' })), code: 'UNAUTHORIZED', reason: /no kid/ },
    { label: 'real key, no typ', forge: signedWithRealKey({}, (kid) => ({ kid })), code: 'UNAUTHORIZED', reason: /not an access token/ },
    { label: 'real key, typ JWT', forge: signedWithRealKey({}, (kid) => ({ kid, typ: 'JWT' })), code: 'UNAUTHORIZED', reason: /not an access token/ },
    { label: 'real key, wrong aud', forge: signedWithRealKey({ aud: 'another-service' }), code: 'UNAUTHORIZED', reason: /audience invalid/ },
    { label: 'real key, wrong iss', forge: signedWithRealKey({ iss: 'https://evil.example' }), code: 'UNAUTHORIZED', reason: /issuer invalid/ },
    {
      label: 'real key, expired',
      forge: signedWithRealKey({ iat: now - 120, nbf: now - 120, exp: now - 60 }),
      code: 'TOKEN_EXPIRED',
      reason: /expired/,
    },
    { label: 'real key, nbf in an hour', forge: signedWithRealKey({ nbf: now + 3600 }), code: 'UNAUTHORIZED', reason: /not active/ },
    { label: 'real key, no exp', forge: signedWithRealKey({ exp: undefined }), code: 'UNAUTHORIZED', reason: /claims/ },
    { label: 'real key, sub not a user id', forge: signedWithRealKey({ sub: 'admin' }), code: 'UNAUTHORIZED', reason: /claims/ },
    { label: 'real key, no sid', forge: signedWithRealKey({ sid: undefined }), code: 'UNAUTHORIZED', reason: /claims/ },
    { label: 'real key, unknown role', forge: signedWithRealKey({ roles: ['root'] }), code: 'UNAUTHORIZED', reason: /claims/ },
    {
      label: 'real key, a session that does not exist',
      forge: signedWithRealKey({ sid: 'C'.repeat(24) }),
      code: 'SESSION_REVOKED',
      reason: /session .* has ended/,
    },
    {
      label: 'a real token whose payload was changed to claim the admin role',
      forge: async () => {
        const [header, payload, signature] = context.session.accessToken.split('.');
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as JWTPayload;
        return `${header}.${base64url({ ...claims, roles: ['user', 'admin'] })}.${signature}`;
      },
      code: 'UNAUTHORIZED',
      reason: /invalid signature/,
    },
    {
      label: 'a real token with its signature cut off',
      forge: async () => `${context.session.accessToken.split('.').slice(0, 2).join('.')}.`,
      code: 'UNAUTHORIZED',
      reason: /signature is required/,
    },
    { label: 'garbage', forge: async () => 'garbage', code: 'UNAUTHORIZED', reason: /malformed token/ },
    { label: 'three dots of nothing', forge: async () => '..', code: 'UNAUTHORIZED', reason: /malformed token/ },
    {
      label: 'a header that is not JSON',
      forge: async () => `${base64url('not json')}.${base64url(context.claims())}.c2ln`,
      code: 'UNAUTHORIZED',
      reason: /malformed token/,
    },
  ];

  it.each(forgeries)('refuses $label with 401 $code', async ({ forge, code, reason }) => {
    const response = await me(bearer(await forge()));

    expect(expectError(response, 401, code).message).toMatch(reason);
  });

  it.each([
    ['an empty Bearer', { authorization: 'Bearer ' }],
    ['a Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a bare token without scheme', { authorization: 'abc.def.ghi' }],
  ])('refuses %s with 401 UNAUTHORIZED', async (_label, headers) => {
    expectError(await me(headers), 401, 'UNAUTHORIZED');
  });

  it('refuses forgeries on admin routes too, as 401 (never reaching the role check)', async () => {
    const forged = await es256(context.otherKey, realHeader(), context.claims({ roles: ['user', 'admin'] }));

    expectError(await request(auth.baseUrl, 'POST', `/admin/users/${context.session.user.id}/revoke`, { headers: bearer(forged) }), 401, 'UNAUTHORIZED');
    expect((await me(bearer(context.session.accessToken))).status).toBe(200);
  });

  it('publishes the signing key at /.well-known/jwks.json (kid, ES256, use sig, no private part) and it verifies a real token', async () => {
    const response = await request<{ keys: JWK[] }>(auth.baseUrl, 'GET', '/.well-known/jwks.json');

    expect(response.status).toBe(200);
    expect(response.body.keys).toEqual([{ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: context.realKid, alg: 'ES256', use: 'sig' }]);
    const { payload, protectedHeader } = await jwtVerify(context.session.accessToken, createLocalJWKSet(response.body), {
      issuer: auth.config.accessTokens.issuer,
      audience: auth.config.accessTokens.audience,
      algorithms: ['ES256'],
      typ: 'at+jwt',
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: context.realKid, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: context.session.user.id, sid: context.session.sessionId, roles: ['user'], jti: expect.any(String) });
    expect(payload.exp! - payload.iat!).toBe(auth.config.accessTokenTtlSeconds);
  });

  it('the JWKS does not verify a token signed by another key under the real kid', async () => {
    const response = await request<{ keys: JWK[] }>(auth.baseUrl, 'GET', '/.well-known/jwks.json');
    const forged = await es256(context.otherKey, realHeader(), context.claims());

    await expect(jwtVerify(forged, createLocalJWKSet(response.body))).rejects.toThrow('signature verification failed');
  });
});
