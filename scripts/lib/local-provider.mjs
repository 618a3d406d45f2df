// The local OpenID Provider of `npm start -- --oidc` and of the tests (scripts/oidc-provider.mjs runs it): its files in
// its state directory, its signing keys and their rotation, and the OIDC_ISSUERS entry that trusts it. No oidc-provider
// import here: the test harness and the launcher load this module, only the provider's own process loads the provider.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';

/** The public client the demo page and the tests sign in with (PKCE, no secret). */
export const LOCAL_CLIENT_ID = 'sessionwire-demo';

/** The resource indicator (`aud` of the access tokens) the gateways are configured with. */
export const LOCAL_AUDIENCE = 'urn:sessionwire:gateway';

/** The top-level claim that carries the dev provider's roles. */
export const LOCAL_ROLES_CLAIM = 'roles';

/** Name of the provider in OIDC_ISSUERS and in `npm start`'s services. */
export const LOCAL_PROVIDER_NAME = 'local-idp';

/**
 * Where nginx serves the provider on the public origin (`npm start -- --oidc`, the browser tests): its issuer is
 * `<public origin>/idp`, so the demo page reaches it under its own origin (its CSP allows `connect-src 'self'` only).
 */
export const LOCAL_PROVIDER_PATH = '/idp';

/** Lifetime of the provider's access tokens, and the `maxTokenLifetimeSeconds` of its OIDC_ISSUERS entry. */
export const LOCAL_ACCESS_TOKEN_TTL_SECONDS = 300;

/** Its files in its state directory. */
export function providerFiles(stateDir) {
  return {
    signingKeys: join(stateDir, 'signing-keys.json'),
    cookieKey: join(stateDir, 'cookie-key'),
    devAdminToken: join(stateDir, 'dev-admin-token'),
  };
}

/**
 * `{current, previous}` private JWKs. `current` holds one RSA (RS256) and one P-256 (ES256) key, which sign;
 * `previous` holds keys that signed before a rotation and stay published (their tokens still verify) until retired.
 */
function newKeyPair() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return Promise.all([
    withKid({ ...rsa, alg: 'RS256', use: 'sig' }),
    withKid({ ...ec, alg: 'ES256', use: 'sig' }),
  ]);
}

async function withKid(jwk) {
  return { ...jwk, kid: await calculateJwkThumbprint(jwk) };
}

/** Written whole (a temporary file renamed over it), mode 600: a reader never sees half a key file. */
async function writePrivateJson(file, value) {
  await writeFile(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** The key file's keys, generating them the first time. */
export async function ensureSigningKeys(stateDir) {
  const { signingKeys } = providerFiles(stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  if (!existsSync(signingKeys)) await writePrivateJson(signingKeys, { current: await newKeyPair(), previous: [] });
  return readSigningKeys(stateDir);
}

/** The key file's keys; throws naming the file if it is not one. */
export async function readSigningKeys(stateDir) {
  const { signingKeys } = providerFiles(stateDir);
  const keys = JSON.parse(await readFile(signingKeys, 'utf8'));
  if (!Array.isArray(keys?.current) || keys.current.length === 0 || !Array.isArray(keys.previous)) {
    throw new Error(`${signingKeys} is not a signing key file ({current: [jwk, …], previous: [jwk, …]})`);
  }
  return keys;
}

/**
 * A new key pair signs from now on; the keys that signed until now move to `previous`, still published. Resolves
 * with the new keys' kids.
 */
export async function rotateSigningKeys(stateDir) {
  const keys = await readSigningKeys(stateDir);
  const current = await newKeyPair();
  await writePrivateJson(providerFiles(stateDir).signingKeys, { current, previous: [...keys.current, ...keys.previous] });
  return current.map((key) => key.kid);
}

/** Every previous key leaves the JWKS (their tokens must have expired). Resolves with the retired kids. */
export async function retireSigningKeys(stateDir) {
  const keys = await readSigningKeys(stateDir);
  await writePrivateJson(providerFiles(stateDir).signingKeys, { current: keys.current, previous: [] });
  return keys.previous.map((key) => key.kid);
}

/** The provider's JWKS, private: the current keys first (oidc-provider signs with the first key of an algorithm). */
export function providerJwks(keys) {
  return { keys: [...keys.current, ...keys.previous] };
}

/** A secret kept in `file` (created on first use, mode 600), e.g. the cookie keys or the dev admin token. */
export async function ensureSecret(file) {
  if (existsSync(file)) {
    await chmod(file, 0o600);
    return (await readFile(file, 'utf8')).trim();
  }
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * The OIDC_ISSUERS entry (libs/oidc trustedIssuerSchema) that trusts the local provider at `issuer`: its access tokens
 * for LOCAL_AUDIENCE, its logout tokens for LOCAL_CLIENT_ID, `sid` and `roles` as it issues them. `jwksUri`: where the
 * apps read its keys when that is not what its discovery document says (the provider's own port, for an issuer behind
 * nginx: the apps start before nginx, and read the keys at boot).
 */
export function localIssuerEntry(issuer, jwksUri) {
  return {
    name: LOCAL_PROVIDER_NAME,
    issuer,
    ...(jwksUri !== undefined && { jwksUri }),
    audience: LOCAL_AUDIENCE,
    clientId: LOCAL_CLIENT_ID,
    algorithms: ['RS256', 'ES256'],
    claims: { userId: 'sub', sessionId: 'sid', roles: LOCAL_ROLES_CLAIM },
    maxTokenLifetimeSeconds: LOCAL_ACCESS_TOKEN_TTL_SECONDS,
  };
}
