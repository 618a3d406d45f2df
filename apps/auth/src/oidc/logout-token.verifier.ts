import { Inject, Injectable } from '@nestjs/common';
import { externalUserLoggedOutSchema } from '@app/contracts';
import { providerValueProblem, type TrustedIssuer } from '@app/oidc';
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { invalidLogoutToken, IssuerKeysUnavailableError } from './backchannel-logout-errors';
import { IssuerKeys } from './issuer-keys';

/** The `events` member that makes a JWT a logout token (OpenID Connect Back-Channel Logout 1.0, section 2.4). */
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * `typ` values a logout token may carry: the explicit `logout+jwt` (section 2.4, RECOMMENDED), or the generic `JWT` or
 * none at all, which providers that do not type their logout tokens send. Any other type is another kind of token
 * (an access token's `at+jwt`, a `secevent+jwt`…) and is refused, whatever its claims.
 */
const LOGOUT_TOKEN_TYPES = new Set(['logout+jwt', 'jwt']);

/** A logout token that passed every check of section 2.6. */
export interface VerifiedLogoutToken {
  issuer: TrustedIssuer;
  jti: string;
  /** Its `sub`, or null. */
  subject: string | null;
  /** Its `sid`, or null; at least one of the two is set. */
  providerSessionId: string | null;
  /** Its `iat`, in epoch seconds (the provider's clock). */
  issuedAt: number;
}

/**
 * Validates back-channel logout tokens as OpenID Connect Back-Channel Logout 1.0, section 2.6 says, against the
 * trusted issuers (`OIDC_ISSUERS`). Throws a 400 refusal naming the failed check, or `IssuerKeysUnavailableError`
 * when the issuer's keys could not be fetched (the token may well be valid: 503). The `jti` is not checked here: it
 * is recorded with the end it causes, in one Redis script (`SessionRevoker.endProviderSessions`).
 */
@Injectable()
export class LogoutTokenVerifier {
  private readonly issuers: ReadonlyMap<string, TrustedIssuer>;
  private readonly keys = new IssuerKeys();

  constructor(@Inject(authConfig.KEY) config: AuthConfig) {
    this.issuers = new Map(config.oidcIssuers.map((issuer) => [issuer.issuer, issuer]));
  }

  async verify(token: string): Promise<VerifiedLogoutToken> {
    const issuer = this.routeByIssuer(token);
    const clientId = issuer.clientId;
    if (clientId === undefined) throw invalidLogoutToken(`Issuer ${issuer.name} has no clientId configured: it cannot send logout tokens`);
    let payload: JWTPayload;
    const options: JWTVerifyOptions = {
      issuer: issuer.issuer,
      audience: clientId,
      algorithms: issuer.algorithms,
      clockTolerance: issuer.clockSkewSeconds,
      // Also refuses an iat in the future beyond the skew. Older than the longest token lifetime, a logout ends
      // nothing that has not expired anyway; the bound keeps a jti's record (same TTL) longer than its token is accepted.
      maxTokenAge: issuer.maxTokenLifetimeSeconds,
      requiredClaims: ['iat', 'jti'],
    };
    try {
      ({ payload } = await this.verifySigned(token, issuer, options));
    } catch (error) {
      if (error instanceof IssuerKeysUnavailableError) throw error;
      if (error instanceof errors.JOSEError) throw invalidLogoutToken(`Logout token refused: ${error.message}`);
      throw error;
    }
    return { issuer, ...checkLogoutClaims(payload) };
  }

  /**
   * `jwtVerify` with the issuer's keys. A token with no `kid` while the issuer publishes several keys that fit its `alg`
   * (a provider mid-rotation) is tried against each of them: the one that verifies it decides.
   */
  private async verifySigned(token: string, issuer: TrustedIssuer, options: JWTVerifyOptions) {
    try {
      return await jwtVerify(token, this.keys.resolverFor(issuer), options);
    } catch (error) {
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
      for await (const candidate of error) {
        try {
          return await jwtVerify(token, candidate, options);
        } catch (candidateError) {
          if (!(candidateError instanceof errors.JWSSignatureVerificationFailed)) throw candidateError;
        }
      }
      throw new errors.JWSSignatureVerificationFailed();
    }
  }

  /** Section 2.6 step 3 needs the issuer's keys and algorithms: found by the unverified `iss`, before any key is fetched. */
  private routeByIssuer(token: string): TrustedIssuer {
    let iss: unknown;
    let typ: unknown;
    try {
      typ = decodeProtectedHeader(token).typ;
      iss = decodeJwt(token).iss;
    } catch {
      // JWE (encrypted logout tokens) too: no decryption keys are registered with any provider.
      throw invalidLogoutToken('Logout token is not a signed JWT');
    }
    if (typ !== undefined && (typeof typ !== 'string' || !LOGOUT_TOKEN_TYPES.has(typ.toLowerCase().replace(/^application\//, '')))) {
      throw invalidLogoutToken(`Logout token has typ ${String(typ).slice(0, 64)}, not logout+jwt`);
    }
    const issuer = typeof iss === 'string' ? this.issuers.get(iss) : undefined;
    if (!issuer) throw invalidLogoutToken('Logout token is from an issuer that is not trusted (OIDC_ISSUERS)');
    return issuer;
  }
}

/** A `sub`, `sid` or `jti` the `user-logged-out` message and the revoker take (1 to 1024 characters). */
const claimValueSchema = externalUserLoggedOutSchema.shape.subject.unwrap();

/** Section 2.6 steps 5 to 7, after the signature, `iss`, `aud`, `iat` and `exp`; and a `jti` that can be recorded. */
function checkLogoutClaims(payload: JWTPayload): Omit<VerifiedLogoutToken, 'issuer'> {
  const { events } = payload;
  if (!isObject(events) || !Object.hasOwn(events, BACKCHANNEL_LOGOUT_EVENT)) {
    throw invalidLogoutToken(`Logout token has no events claim with the member ${BACKCHANNEL_LOGOUT_EVENT}`);
  }
  if (!isObject(events[BACKCHANNEL_LOGOUT_EVENT])) throw invalidLogoutToken(`The ${BACKCHANNEL_LOGOUT_EVENT} event of the logout token is not a JSON object`);
  if (Object.hasOwn(payload, 'nonce')) throw invalidLogoutToken('Logout token carries a nonce');
  if (payload.sub === undefined && payload.sid === undefined) throw invalidLogoutToken('Logout token has neither sub nor sid');
  return {
    // Present: jwtVerify required it.
    jti: claimValue(payload, 'jti') as string,
    subject: claimValue(payload, 'sub'),
    providerSessionId: claimValue(payload, 'sid'),
    // Present and a number: jwtVerify required and checked it.
    issuedAt: payload.iat as number,
  };
}

/** The claim as a string of 1 to 1024 characters, or null when absent. */
function claimValue(payload: JWTPayload, claim: 'jti' | 'sub' | 'sid'): string | null {
  if (payload[claim] === undefined) return null;
  const parsed = claimValueSchema.safeParse(payload[claim]);
  if (!parsed.success) throw invalidLogoutToken(`Logout token ${claim} is not a string of 1 to 1024 characters`);
  // The rule the gateways admit sub and sid by: one they refuse named no session that opened sockets.
  const problem = claim === 'jti' ? undefined : providerValueProblem(parsed.data);
  if (problem !== undefined) throw invalidLogoutToken(`Logout token ${claim} ${problem}`);
  return parsed.data;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
