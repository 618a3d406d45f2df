import type { AccessTokenVerificationConfig } from '@app/config';
import type { TrustedIssuer } from '@app/oidc';
import type { KeyResolver } from '@app/tokens';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { IncomingHttpHeaders } from 'node:http';
import passport from 'passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import type { Credential } from './credential';
import { accessTokenCredential, accessTokenStrategyOptions, CredentialRefusal, credentialRefusalOf, sessionCookieCredential, VerificationKeysUnavailable } from './credential-verification';
import { externalTokenCredential, externalTokenStrategyOptions, JOSE_ONLY_ALGORITHM, verifyJoseOnlyToken } from './external-token-verification';

export interface CredentialVerifierOptions {
  /** Our auth service's tokens (sessions in Redis); `undefined` when only external issuers are trusted. */
  accessTokens?: AccessTokenVerificationConfig;
  /** The keys of our auth service's tokens; required with `accessTokens`. */
  verificationKeys?: KeyResolver;
  /** External OpenID Providers whose access tokens are accepted, each with its keys. */
  externalIssuers?: ReadonlyArray<{ issuer: TrustedIssuer; keys: KeyResolver }>;
  /** The session cookie's name; `undefined` leaves the cookie strategy out. */
  cookieName?: string;
}

const ACCESS_TOKEN = 'access-token';
const SESSION_COOKIE = 'session-cookie';
const bearerExtractor = ExtractJwt.fromAuthHeaderAsBearerToken();

/** Where a bearer token goes: the passport strategies that may verify it. */
interface IssuerRoute {
  /** passport-jwt (every algorithm of the issuer but EdDSA). */
  strategy: string;
  /** passport-custom running jose, for EdDSA tokens of an issuer that allows EdDSA. */
  joseStrategy?: string;
}

/**
 * The credential strategies on a passport instance of its own, for code that must not touch an app's global passport
 * (a library inside someone else's app). A bearer token is routed by its unverified `iss` to exactly one trusted issuer
 * (our auth service's access-token strategy, or an external issuer's) before any key is looked up: a token of an
 * unknown issuer is refused without a request. Without a bearer token, the session cookie (when configured). Only
 * `headers` is read; the session is not proven yet. Rejects with `CredentialRefusal`, or `VerificationKeysUnavailable` (retry later); anything else is a fault.
 */
export class CredentialVerifier {
  private readonly passport = new passport.Passport();
  private readonly routes = new Map<string, IssuerRoute>();
  /** Strategies tried without a bearer token (they also report "no credentials"). */
  private readonly withoutBearer: string[] = [];

  constructor(options: CredentialVerifierOptions) {
    if (options.accessTokens) {
      if (!options.verificationKeys) throw new Error('accessTokens need verificationKeys');
      this.passport.use(ACCESS_TOKEN, new JwtStrategy(accessTokenStrategyOptions(options.accessTokens, options.verificationKeys), settle((payload) => accessTokenCredential(payload))));
      this.routes.set(options.accessTokens.issuer, { strategy: ACCESS_TOKEN });
      this.withoutBearer.push(ACCESS_TOKEN);
    }
    for (const [index, { issuer, keys }] of (options.externalIssuers ?? []).entries()) {
      const route: IssuerRoute = { strategy: `external-${index}` };
      this.passport.use(route.strategy, new JwtStrategy(externalTokenStrategyOptions(issuer, keys), settle((payload) => externalTokenCredential(issuer, payload as Record<string, unknown>))));
      if (issuer.algorithms.includes(JOSE_ONLY_ALGORITHM)) {
        route.joseStrategy = `external-${index}-jose`;
        this.passport.use(
          route.joseStrategy,
          new CustomStrategy((request, done) => {
            verifyJoseOnlyToken(issuer, keys, bearerToken(request.headers)!).then(
              (payload) => done(null, externalTokenCredential(issuer, payload)),
              (error: unknown) => done(error),
            );
          }),
        );
      }
      this.routes.set(issuer.issuer, route);
    }
    const { cookieName } = options;
    if (cookieName !== undefined) {
      this.passport.use(SESSION_COOKIE, new CustomStrategy((request, done) => settle(() => sessionCookieCredential(request.headers, cookieName))(null, done)));
      this.withoutBearer.push(SESSION_COOKIE);
    }
  }

  async verify(headers: IncomingHttpHeaders): Promise<Credential> {
    const token = bearerToken(headers);
    if (token === undefined) {
      if (this.withoutBearer.length === 0) throw credentialRefusalOf(undefined);
      return this.authenticate(this.withoutBearer, headers);
    }
    return this.authenticate([this.strategyFor(token)], headers);
  }

  /**
   * The one strategy for this token's issuer, chosen from its unverified `iss` (and, for an issuer with a jose strategy,
   * `alg`). The header of any other token is read by its strategy's key lookup, which refuses a malformed one the same way.
   */
  private strategyFor(token: string): string {
    const iss = unverified(() => decodeJwt(token).iss);
    const route = typeof iss === 'string' ? this.routes.get(iss) : undefined;
    if (!route) throw new CredentialRefusal('UNAUTHORIZED', 'Access token rejected: its issuer (iss) is not trusted here');
    if (!route.joseStrategy) return route.strategy;
    return unverified(() => decodeProtectedHeader(token).alg) === JOSE_ONLY_ALGORITHM ? route.joseStrategy : route.strategy;
  }

  private authenticate(strategies: string[], headers: IncomingHttpHeaders): Promise<Credential> {
    return new Promise((resolve, reject) => {
      const authenticate = this.passport.authenticate(strategies, { session: false }, (error: unknown, credential: Credential | false, info: unknown) => {
        if (error) reject(error);
        else if (!credential) reject(keysUnavailableIn(info) ?? credentialRefusalOf(info));
        else resolve(credential);
      }) as (request: unknown, response: unknown, next: (error?: unknown) => void) => void;
      authenticate({ headers }, {}, reject);
    });
  }
}

/** passport-jwt reports a key provider's error as a challenge: missing keys are no refusal of the token. */
function keysUnavailableIn(info: unknown): VerificationKeysUnavailable | undefined {
  return (Array.isArray(info) ? info : [info]).find((challenge): challenge is VerificationKeysUnavailable => challenge instanceof VerificationKeysUnavailable);
}

/** A part of a token read before its signature is checked: a token jose cannot decode is refused as malformed. */
function unverified<Value>(read: () => Value): Value {
  try {
    return read();
  } catch {
    throw new CredentialRefusal('UNAUTHORIZED', 'Access token rejected: malformed token');
  }
}

/** The bearer token of an Authorization header, read by the extractor the strategies use. */
function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  return bearerExtractor({ headers } as Parameters<typeof bearerExtractor>[0]) ?? undefined;
}

/** A strategy's verify callback from a mapping that throws its refusal. */
function settle<Input>(map: (input: Input) => Credential | null) {
  return (input: Input, done: (error: unknown, credential?: Credential | false) => void): void => {
    let credential: Credential | null;
    try {
      credential = map(input);
    } catch (error) {
      return done(error);
    }
    done(null, credential ?? false);
  };
}
