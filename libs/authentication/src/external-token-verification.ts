import { claimAt, externalSessionId, externalUserId, providerValueProblem, sessionlessSessionId, type TrustedIssuer } from '@app/oidc';
import type { KeyResolver } from '@app/tokens';
import { decodeProtectedHeader, errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { KeyObject } from 'node:crypto';
import { ExtractJwt, type SecretOrKeyProvider, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import type { ExternalCredential } from './credential';
import { CredentialRefusal } from './credential-verification';

/** The one algorithm of the list that jsonwebtoken (under passport-jwt) cannot verify: jose does, for such issuers. */
export const JOSE_ONLY_ALGORITHM = 'EdDSA';

/**
 * passport-jwt options for an external issuer's tokens signed with any of its algorithms but EdDSA: bearer header, its
 * algorithms, `iss`, `aud`, and its clock skew on `exp` and `nbf`.
 */
export function externalTokenStrategyOptions(issuer: TrustedIssuer, keys: KeyResolver): StrategyOptionsWithoutRequest {
  return {
    jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
    secretOrKeyProvider: externalKeyProviderFor(issuer, keys),
    algorithms: issuer.algorithms.filter((alg) => alg !== JOSE_ONLY_ALGORITHM),
    issuer: issuer.issuer,
    audience: issuer.audience,
    jsonWebTokenOptions: { clockTolerance: issuer.clockSkewSeconds },
  };
}

/**
 * `typ` values an access token may carry: none, the generic `JWT`, or RFC 9068's `at+jwt`. Anything else (a logout
 * token's `logout+jwt`, a `secevent+jwt`…) is another kind of token signed by the same keys, refused before any key
 * is looked up.
 */
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt']);

function refuseOtherTokenTypes(header: Pick<JWTHeaderParameters, 'typ'>): void {
  const { typ } = header;
  if (typ === undefined) return;
  if (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase().replace(/^application\//, ''))) {
    throw new CredentialRefusal('UNAUTHORIZED', 'Access token rejected: its typ says it is not an access token');
  }
}

/** The key of an external token, by `alg` (one the issuer allows, checked before any lookup) and `kid` (if any). */
function externalKeyProviderFor(issuer: TrustedIssuer, keys: KeyResolver): SecretOrKeyProvider {
  return (_request, rawToken: string, done) => {
    let header: JWTHeaderParameters;
    try {
      header = decodeProtectedHeader(rawToken) as JWTHeaderParameters;
    } catch {
      return done(new Error('malformed token'));
    }
    try {
      refuseOtherTokenTypes(header);
    } catch (refusal) {
      return done(refusal as CredentialRefusal);
    }
    const alg = String(header.alg);
    if (!(issuer.algorithms as readonly string[]).includes(alg) || alg === JOSE_ONLY_ALGORITHM) return done(new Error(`alg ${algorithmName(alg)} not accepted`));
    if (header.kid !== undefined && typeof header.kid !== 'string') return done(new Error('malformed kid'));
    keys.keyFor({ alg, kid: header.kid }).then(
      (key: KeyObject | undefined) => {
        if (!key) return done(new Error('unknown kid'));
        // jsonwebtoken accepts a KeyObject; the published types only list string | Buffer.
        return done(null, key as unknown as Buffer);
      },
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  };
}

/** A refused `alg` as it may be repeated (to the client, in logs): a short algorithm-shaped name, or nothing of it. */
function algorithmName(alg: string): string {
  return /^[A-Za-z0-9+-]{1,16}$/.test(alg) ? alg : '(unrecognised)';
}

/**
 * Verifies an EdDSA token of an issuer that allows EdDSA with jose (jsonwebtoken 9, under passport-jwt, has no EdDSA:
 * it refuses the algorithm name), with the same checks passport-jwt makes for the other algorithms; the claims are then
 * mapped by `externalTokenCredential` as for them. Resolves with the payload.
 */
export async function verifyJoseOnlyToken(issuer: TrustedIssuer, keys: KeyResolver, token: string): Promise<Record<string, unknown>> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        refuseOtherTokenTypes(header);
        const key = await keys.keyFor({ alg: header.alg, kid: header.kid });
        if (!key) throw new CredentialRefusal('UNAUTHORIZED', 'Access token rejected: unknown kid');
        return key;
      },
      { algorithms: [JOSE_ONLY_ALGORITHM], issuer: issuer.issuer, audience: issuer.audience, clockTolerance: issuer.clockSkewSeconds },
    );
    return payload as Record<string, unknown>;
  } catch (error) {
    if (error instanceof CredentialRefusal) throw error;
    if (error instanceof errors.JWTExpired) throw new CredentialRefusal('TOKEN_EXPIRED', 'Access token expired');
    if (error instanceof errors.JOSEError) throw new CredentialRefusal('UNAUTHORIZED', `Access token rejected: ${error.message}`);
    throw error;
  }
}

/**
 * The credential of a verified external token's payload: no `events` (a logout token), `exp` and `iat` required, `iat` not in the future (beyond the
 * skew), `exp - iat` at most the issuer's `maxTokenLifetimeSeconds` (so the record of an ended session outlives every
 * token of it), the user id claim a non-empty string, `sub` and the session id claim (absent, or) what a logout token
 * may name (`providerValueProblem`: 1 to 1024 characters, no lone surrogate).
 */
export function externalTokenCredential(issuer: TrustedIssuer, payload: Record<string, unknown>, now = Date.now()): ExternalCredential {
  const refuse = (reason: string) => new CredentialRefusal('UNAUTHORIZED', `Access token rejected: ${reason}`);
  // A logout token the provider signed with the same keys is no access token. A `nonce` is not refused: Keycloak before
  // version 25 puts it in access tokens; ID tokens are kept out by their `aud` (the client id, which no entry's
  // audience may include).
  if (Object.hasOwn(payload, 'events')) throw refuse('a logout token (events) is not an access token');
  const { exp, iat } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || typeof iat !== 'number' || !Number.isFinite(iat)) throw refuse('exp and iat are required');
  if (exp - iat > issuer.maxTokenLifetimeSeconds) throw refuse(`lives longer than ${issuer.maxTokenLifetimeSeconds} s (exp - iat)`);
  if (iat * 1000 > now + issuer.clockSkewSeconds * 1000) throw refuse('issued in the future (iat)');
  // Sessions are tracked per `sub`, whatever claim the app reads as the user id: a logout token names users by `sub`.
  const { sub } = payload;
  if (typeof sub !== 'string' || sub.length === 0) throw refuse('no sub');
  const subProblem = providerValueProblem(sub);
  if (subProblem !== undefined) throw refuse(`sub ${subProblem}`);
  const subject = claimAt(payload, issuer.claims.userId);
  if (typeof subject !== 'string' || subject.length === 0) throw refuse(`no user id in claim ${issuer.claims.userId}`);
  const sid = claimAt(payload, issuer.claims.sessionId);
  if (sid !== undefined && typeof sid !== 'string') throw refuse(`claim ${issuer.claims.sessionId} is not a session id`);
  const sidProblem = sid === undefined ? undefined : providerValueProblem(sid);
  if (sidProblem !== undefined) throw refuse(`claim ${issuer.claims.sessionId} is not a session id: ${sidProblem}`);
  const providerSessionId = sid ?? null;
  const authTime = payload.auth_time;
  // Never later than the token itself: an `auth_time` after `iat` would let a session dodge an end covering its token.
  const startedAt = typeof authTime === 'number' && Number.isFinite(authTime) ? Math.min(authTime, iat) : iat;
  return {
    kind: 'external_token',
    userId: externalUserId(issuer.issuer, sub),
    sessionId: providerSessionId === null ? sessionlessSessionId(issuer.issuer, sub) : externalSessionId(issuer.issuer, providerSessionId),
    expiresAt: exp * 1000,
    cookieHash: null,
    issuer: issuer.issuer,
    subject,
    providerSessionId,
    sessionStartedAt: Math.floor(startedAt * 1000),
    roles: issuer.claims.roles === undefined ? [] : rolesIn(claimAt(payload, issuer.claims.roles)),
  };
}

/** Roles from a claim: an array of strings, or one string; anything else is no roles. */
export function rolesIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((role) => typeof role === 'string')) return [...value];
  return [];
}
