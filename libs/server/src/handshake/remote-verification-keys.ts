import { ACCESS_TOKEN_ALGORITHM, type KeyLookup, type KeyResolver } from '@app/tokens';
import { KeyObject, type webcrypto } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JSONWebKeySet } from 'jose';
import { JwksUnavailableError } from '../config/errors';
import type { SessionwireLogger } from '../config/logger';

export interface RemoteJwksConfig {
  url: string;
  waitMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  timeoutMs: number;
}

/**
 * The auth service's public keys through jose's remote JWKS: fetched at start, refetched when older than
 * `cacheMaxAgeMs`, and at once for a token naming an unknown `kid` (a key published since), unless the last fetch is
 * younger than `cooldownMs`: forged `kid`s cannot make a client hammer the auth service. Concurrent lookups share
 * one fetch.
 */
export class RemoteVerificationKeys implements KeyResolver {
  /** jsonwebtoken (under passport-jwt) takes a Node `KeyObject`; jose hands out one `CryptoKey` per JWK and fetch. */
  private readonly keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();

  private constructor(
    private readonly url: string,
    private readonly remote: ReturnType<typeof createRemoteJWKSet>,
    private readonly logger: SessionwireLogger,
  ) {}

  /** Fetches the JWKS, retrying with backoff until `waitMs` has passed (the auth service may still be starting). */
  static async load(config: RemoteJwksConfig, logger: SessionwireLogger): Promise<RemoteVerificationKeys> {
    const remote = createRemoteJWKSet(new URL(config.url), {
      cooldownDuration: config.cooldownMs,
      cacheMaxAge: config.cacheMaxAgeMs,
      timeoutDuration: config.timeoutMs,
    });
    const deadline = Date.now() + config.waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await remote.reload();
        if (!hasSigningKey(remote.jwks())) throw new Error(`it holds no ${ACCESS_TOKEN_ALGORITHM} signing key`);
        return new RemoteVerificationKeys(config.url, remote, logger);
      } catch (error) {
        const delay = Math.min(100 * 2 ** attempt, 2000);
        if (Date.now() + delay > deadline) {
          throw new JwksUnavailableError(
            `Could not load the auth service's keys from accessTokens.jwksUrl=${config.url} within accessTokens.jwksWaitMs=${config.waitMs} ms: ${(error as Error).message}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async keyFor(header: KeyLookup): Promise<KeyObject | undefined> {
    try {
      return this.toKeyObject(await this.remote({ alg: header.alg, kid: header.kid }));
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) return undefined;
      // The auth service is unreachable while the keys are due for a refetch: the keys fetched before still verify,
      // as they did before they aged (jose keeps no stale keys of its own).
      const lastFetched = this.remote.jwks();
      if (!lastFetched || !isFetchFailure(error)) throw error;
      this.logger.warn(`JWKS refetch from ${this.url} failed (${error.message}); verifying with the keys fetched before`);
      try {
        return this.toKeyObject(await createLocalJWKSet(lastFetched)({ alg: header.alg, kid: header.kid }));
      } catch (localError) {
        if (localError instanceof errors.JWKSNoMatchingKey) return undefined;
        throw localError;
      }
    }
  }

  private toKeyObject(key: webcrypto.CryptoKey): KeyObject {
    let keyObject = this.keyObjects.get(key);
    if (!keyObject) {
      keyObject = KeyObject.from(key);
      this.keyObjects.set(key, keyObject);
    }
    return keyObject;
  }
}

/** The JWKS request failed: no answer, a timeout, not 200, or no JWKS in the body. */
function isFetchFailure(error: unknown): error is Error {
  return (
    error instanceof TypeError ||
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
  );
}

function hasSigningKey(jwks: JSONWebKeySet | undefined): boolean {
  return (jwks?.keys ?? []).some((jwk) => jwk.kty === 'EC' && (jwk.alg === undefined || jwk.alg === ACCESS_TOKEN_ALGORITHM) && (jwk.use === undefined || jwk.use === 'sig'));
}
