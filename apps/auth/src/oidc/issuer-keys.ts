import { fetchBounded, jwksUriOf, type TrustedIssuer } from '@app/oidc';
import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';
import { IssuerKeysUnavailableError } from './backchannel-logout-errors';

/** How long discovering an issuer's JWKS URI may take; the JWKS requests themselves use jose's default (5 s). */
const DISCOVERY_TIMEOUT_MS = 5000;
/**
 * After a failed discovery or JWKS fetch, tokens of that issuer are answered 503 this long before the provider is asked
 * again (as jose's cooldown, which counts only successful fetches): a flood of tokens naming this issuer must not
 * become a flood of requests to it, each waiting for the timeout.
 */
const RETRY_AFTER_FAILURE_MS = 30_000;

/** Failures of the key lookup that are the token's, not the provider's: its `kid`/`alg` matches no key it publishes. */
const TOKEN_KEY_ERRORS = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported, errors.JOSEAlgNotAllowed];

/**
 * The verification keys of each trusted issuer, through jose's remote JWKS (cached, refetched on an unknown `kid` at
 * most once per cooldown). The JWKS URI is configured or discovered at the first token of that issuer, not at boot: a
 * provider that is down must not stop the auth service. A failed discovery is tried again after a while.
 */
export class IssuerKeys {
  private readonly keySets = new Map<string, Promise<JWTVerifyGetKey>>();
  /** When the last JWKS fetch of each issuer failed (performance.now()). */
  private readonly lastFailureAt = new Map<string, number>();

  /** The key resolver for `jwtVerify`; fetching failures become `IssuerKeysUnavailableError`. */
  resolverFor(issuer: TrustedIssuer): JWTVerifyGetKey {
    return async (header, token) => {
      const keySet = await this.keySetOf(issuer);
      const failedAt = this.lastFailureAt.get(issuer.issuer);
      if (failedAt !== undefined && performance.now() - failedAt < RETRY_AFTER_FAILURE_MS) {
        throw new IssuerKeysUnavailableError(`The keys of issuer ${issuer.name} could not be fetched a moment ago; not asking again yet`);
      }
      try {
        return await keySet(header, token);
      } catch (error) {
        if (TOKEN_KEY_ERRORS.some((kind) => error instanceof kind)) throw error;
        this.lastFailureAt.set(issuer.issuer, performance.now());
        throw new IssuerKeysUnavailableError(`The keys of issuer ${issuer.name} could not be fetched: ${(error as Error).message}`, { cause: error });
      }
    };
  }

  private keySetOf(issuer: TrustedIssuer): Promise<JWTVerifyGetKey> {
    let keySet = this.keySets.get(issuer.issuer);
    if (!keySet) {
      keySet = jwksUriOf(issuer, DISCOVERY_TIMEOUT_MS).then(
        (uri) => createRemoteJWKSet(new URL(uri), { [customFetch]: fetchBounded }),
        (error: Error) => {
          // Not at once: a flood of tokens naming this issuer must not become a flood of requests to the provider.
          setTimeout(() => this.keySets.delete(issuer.issuer), RETRY_AFTER_FAILURE_MS).unref();
          throw new IssuerKeysUnavailableError(`The JWKS URI of issuer ${issuer.name} could not be discovered: ${error.message}`, { cause: error });
        },
      );
      this.keySets.set(issuer.issuer, keySet);
    }
    return keySet;
  }
}
