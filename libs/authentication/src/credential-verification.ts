import type { AccessTokenVerificationConfig } from '@app/config';
import type { ErrorCode } from '@app/contracts';
import { hashSecret, parseSessionCookie, type AdmittedSession } from '@app/sessions';
import { accessTokenClaimsSchema, accessTokenVerifyOptions, keyProviderFor, type KeyResolver } from '@app/tokens';
import { parse as parseCookieHeader } from 'cookie';
import type { IncomingHttpHeaders } from 'node:http';
import { ExtractJwt, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import type { Credential, OwnCredential } from './credential';
import type { Principal } from './principal';

// The Nest-free core of credential verification: the HTTP guard's Nest strategies and @sessionwire/server's own
// passport instance both run these.

export type AuthenticationFailureCode = Extract<ErrorCode, 'UNAUTHORIZED' | 'TOKEN_EXPIRED' | 'SESSION_REVOKED'>;

/** A credential was presented and refused (`AuthenticationFailure` is its HTTP form). */
export class CredentialRefusal extends Error {
  override readonly name = 'CredentialRefusal';

  constructor(
    readonly code: AuthenticationFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The keys that would verify a credential cannot be had now (its issuer's JWKS is not loaded yet, or not answering):
 * neither the credential's fault nor a verdict on it; the client should retry shortly.
 */
export class VerificationKeysUnavailable extends Error {
  override readonly name = 'VerificationKeysUnavailable';
}

/** passport-jwt options of the one access-token strategy: bearer header, key by `kid`, pinned `alg`, `iss`, `aud`. */
export function accessTokenStrategyOptions(accessTokens: AccessTokenVerificationConfig, verificationKeys: KeyResolver): StrategyOptionsWithoutRequest {
  return {
    jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
    secretOrKeyProvider: keyProviderFor(verificationKeys),
    ...accessTokenVerifyOptions(accessTokens),
  };
}

/** The credential of a verified access token's payload; refused when its claims do not match the contract. */
export function accessTokenCredential(payload: unknown): OwnCredential {
  const claims = accessTokenClaimsSchema.safeParse(payload);
  if (!claims.success) throw new CredentialRefusal('UNAUTHORIZED', 'Access token rejected: claims do not match the contract');
  return { kind: 'access_token', userId: claims.data.sub, sessionId: claims.data.sid, expiresAt: claims.data.exp * 1000, cookieHash: null };
}

/**
 * The session cookie's credential, or `null` when there is none. Skipped when an Authorization header is present,
 * so a bad bearer token is never rescued by a cookie the client did not mean to use.
 */
export function sessionCookieCredential(headers: IncomingHttpHeaders, cookieName: string): OwnCredential | null {
  if (headers.authorization) return null;
  const value = parseCookieHeader(headers.cookie ?? '')[cookieName];
  if (!value) return null;
  const holder = parseSessionCookie(value);
  if (!holder) throw new CredentialRefusal('UNAUTHORIZED', 'Malformed session cookie');
  return { kind: 'session_cookie', userId: holder.userId, sessionId: holder.sessionId, expiresAt: null, cookieHash: hashSecret(holder.secret) };
}

/**
 * Turns what passport reports for a failed attempt (passport-jwt hands jsonwebtoken's errors as challenges; several
 * strategies give an array) into one refusal.
 */
export function credentialRefusalOf(info: unknown): CredentialRefusal {
  const challenges = Array.isArray(info) ? info : [info];
  for (const challenge of challenges) {
    if (challenge instanceof CredentialRefusal) return challenge;
    if (!(challenge instanceof Error) || challenge.message === 'No auth token') continue;
    if (challenge.name === 'TokenExpiredError') return new CredentialRefusal('TOKEN_EXPIRED', 'Access token expired');
    return new CredentialRefusal('UNAUTHORIZED', `Access token rejected: ${reasonOf(challenge)}`);
  }
  return new CredentialRefusal('UNAUTHORIZED', 'No credentials: send an access token (Authorization: Bearer) or the session cookie');
}

/**
 * jsonwebtoken's reasons, as fixed texts: some of its messages name the configuration (`jwt audience invalid. expected:
 * <every accepted audience>`). Its fixed messages pass as they are; the others lose what follows the check's name, or
 * become `invalid token`. Reasons of the key lookup (ours) are fixed already.
 */
const JSONWEBTOKEN_FIXED_REASONS = new Set(['jwt malformed', 'jwt signature is required', 'invalid signature', 'invalid algorithm', 'invalid token', 'jwt not active', 'maxAge exceeded']);

function reasonOf(challenge: Error): string {
  if (challenge.name !== 'JsonWebTokenError' && challenge.name !== 'NotBeforeError') return challenge.message;
  if (JSONWEBTOKEN_FIXED_REASONS.has(challenge.message)) return challenge.message;
  return /^(jwt (?:audience|issuer|subject|jwtid|id) invalid)\./.exec(challenge.message)?.[1] ?? 'invalid token';
}

/** The principal a credential stands for once its session is proven alive (`session`, as loaded by that proof). */
export function principalOf<Session extends AdmittedSession>(credential: OwnCredential, session: Session): Principal<Session> {
  return {
    userId: session.userId,
    sessionId: session.sessionId,
    roles: session.roles,
    credential: credential.kind,
    session,
    credentialExpiresAt: credential.expiresAt ?? session.expiresAt,
  };
}

/** The refusal of a credential whose session is gone (or, for a cookie, holds another cookie now). */
export function sessionEndedRefusal(credential: Credential): CredentialRefusal {
  return new CredentialRefusal('SESSION_REVOKED', `The session of this ${credential.kind === 'session_cookie' ? 'cookie' : 'token'} has ended`);
}
