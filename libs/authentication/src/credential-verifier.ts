import type { AccessTokenVerificationConfig } from '@app/config';
import type { KeyResolver } from '@app/tokens';
import type { IncomingHttpHeaders } from 'node:http';
import passport from 'passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { Credential } from './credential';
import { accessTokenCredential, accessTokenStrategyOptions, credentialRefusalOf, sessionCookieCredential } from './credential-verification';

export interface CredentialVerifierOptions {
  accessTokens: AccessTokenVerificationConfig;
  verificationKeys: KeyResolver;
  /** The session cookie's name; `undefined` leaves the cookie strategy out. */
  cookieName?: string;
}

const ACCESS_TOKEN = 'access-token';
const SESSION_COOKIE = 'session-cookie';

/**
 * The access-token strategy (passport-jwt) and the session-cookie strategy on a passport instance of its own, for code
 * that must not touch an app's global passport (a library inside someone else's app). Only `headers` is read; the
 * session is not proven yet. Rejects with `CredentialRefusal` (anything else is a fault).
 */
export class CredentialVerifier {
  private readonly passport = new passport.Passport();
  private readonly strategies: string[];

  constructor(options: CredentialVerifierOptions) {
    this.passport.use(
      ACCESS_TOKEN,
      new JwtStrategy(accessTokenStrategyOptions(options.accessTokens, options.verificationKeys), (payload: unknown, done: (error: unknown, credential?: Credential) => void) => {
        try {
          done(null, accessTokenCredential(payload));
        } catch (error) {
          done(error);
        }
      }),
    );
    this.strategies = [ACCESS_TOKEN];
    const { cookieName } = options;
    if (cookieName !== undefined) {
      this.passport.use(
        SESSION_COOKIE,
        new CustomStrategy((request, done) => {
          try {
            done(null, sessionCookieCredential(request.headers, cookieName));
          } catch (error) {
            done(error);
          }
        }),
      );
      this.strategies.push(SESSION_COOKIE);
    }
  }

  verify(headers: IncomingHttpHeaders): Promise<Credential> {
    return new Promise((resolve, reject) => {
      const authenticate = this.passport.authenticate(this.strategies, { session: false }, (error: unknown, credential: Credential | false, info: unknown) => {
        if (error) reject(error);
        else if (!credential) reject(credentialRefusalOf(info));
        else resolve(credential);
      }) as (request: unknown, response: unknown, next: (error?: unknown) => void) => void;
      authenticate({ headers }, {}, reject);
    });
  }
}
