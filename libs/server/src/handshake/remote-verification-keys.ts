import { CredentialRefusal, VerificationKeysUnavailable } from '@app/authentication';
import type { KeyLookup, KeyResolver } from '@app/tokens';
import { KeyObject, type webcrypto } from 'node:crypto';
import { fetchBounded, ProviderAnswerTooLargeError } from '@app/oidc';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type JSONWebKeySet } from 'jose';
import { JwksUnavailableError } from '../config/errors';
import type { SessionwireLogger } from '../config/logger';

export interface RemoteJwksConfig {
  url: string;
  waitMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  timeoutMs: number;
  /** The algorithms the issuer's tokens may use: the JWKS must hold a signing key for one of them. */
  algorithms: readonly string[];
  /** Names whose keys these are and where they come from, for errors: e.g. `the auth service's keys from accessTokens.jwksUrl=…`. */
  source: string;
  /** Names the option bounding the wait, for errors: e.g. `accessTokens.jwksWaitMs`. */
  waitOption: string;
}

/**
 * One issuer's public keys through jose's remote JWKS (the auth service's, or an external OpenID Provider's): fetched at
 * start, refetched when older than `cacheMaxAgeMs`, and at once for a token naming an unknown `kid` (a key published
 * since), unless the last fetch is younger than `cooldownMs`: forged `kid`s cannot make a client hammer the issuer.
 * jose counts only successful fetches for its cooldown; a failed one is remembered here, and for `cooldownMs` after it
 * no fetch is tried (nor waited for): the keys fetched before verify, as when a refetch fails.
 * Concurrent lookups share one fetch. jose picks only keys whose type fits the token's `alg` (RSA for RS/PS, the
 * curve of ES256/384/512, Ed25519 for EdDSA); the caller checks `alg` against the issuer's list first.
 */
export class RemoteVerificationKeys implements KeyResolver {
  /** jsonwebtoken (under passport-jwt) takes a Node `KeyObject`; jose hands out one `CryptoKey` per JWK and fetch. */
  private readonly keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();
  /** When the last fetch failed (performance.now()). */
  private lastFailureAt = -Infinity;

  private constructor(
    private readonly url: string,
    private readonly cooldownMs: number,
    private readonly remote: ReturnType<typeof createRemoteJWKSet>,
    private readonly logger: SessionwireLogger,
  ) {}

  /** Fetches the JWKS, retrying with backoff until `waitMs` has passed (the issuer may still be starting). */
  static async load(config: RemoteJwksConfig, logger: SessionwireLogger): Promise<RemoteVerificationKeys> {
    const deadline = Date.now() + config.waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await RemoteVerificationKeys.fetch(config, logger);
      } catch (error) {
        const delay = Math.min(100 * 2 ** attempt, 2000);
        if (Date.now() + delay > deadline) {
          throw new JwksUnavailableError(`Could not load ${config.source} within ${config.waitOption}=${config.waitMs} ms: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Fetches the JWKS once; rejects when it cannot be fetched or holds no signing key for the issuer's algorithms. */
  static async fetch(config: Omit<RemoteJwksConfig, 'waitMs' | 'source' | 'waitOption'>, logger: SessionwireLogger): Promise<RemoteVerificationKeys> {
    const remote = createRemoteJWKSet(new URL(config.url), {
      cooldownDuration: config.cooldownMs,
      cacheMaxAge: config.cacheMaxAgeMs,
      timeoutDuration: config.timeoutMs,
      [customFetch]: fetchBounded,
    });
    await remote.reload();
    if (!hasSigningKey(remote.jwks(), config.algorithms)) throw new Error(`it holds no signing key for ${config.algorithms.join(', ')}`);
    return new RemoteVerificationKeys(config.url, config.cooldownMs, remote, logger);
  }

  async keyFor(header: KeyLookup): Promise<KeyObject | undefined> {
    if (performance.now() - this.lastFailureAt < this.cooldownMs) return this.lastFetchedKeyFor(header);
    try {
      return this.toKeyObject(await this.remote({ alg: header.alg, kid: header.kid }));
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) return undefined;
      if (error instanceof errors.JWKSMultipleMatchingKeys) throw severalKeysRefusal();
      if (!isFetchFailure(error)) throw error;
      this.lastFailureAt = performance.now();
      // The issuer is unreachable while the keys are due for a refetch: the keys fetched before still verify,
      // as they did before they aged (jose keeps no stale keys of its own).
      this.logger.warn(`JWKS refetch from ${this.url} failed (${error.message}); verifying with the keys fetched before, no refetch for ${this.cooldownMs} ms`);
      return this.lastFetchedKeyFor(header);
    }
  }

  private async lastFetchedKeyFor(header: KeyLookup): Promise<KeyObject | undefined> {
    const lastFetched = this.remote.jwks();
    if (!lastFetched) throw new VerificationKeysUnavailable("The issuer's keys could not be fetched; retry shortly");
    try {
      return this.toKeyObject(await createLocalJWKSet(lastFetched)({ alg: header.alg, kid: header.kid }));
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) return undefined;
      if (error instanceof errors.JWKSMultipleMatchingKeys) throw severalKeysRefusal();
      throw error;
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

/**
 * A token without `kid` while the issuer publishes several keys for its `alg`. jsonwebtoken (under passport-jwt) takes
 * one key per token, so trying each would mean verifying outside it: such tokens are refused, saying why.
 */
function severalKeysRefusal(): CredentialRefusal {
  return new CredentialRefusal('UNAUTHORIZED', 'Access token rejected: it names no key (kid) while its issuer publishes several for its alg');
}

/** The JWKS request failed: no answer, a timeout, not 200, too large, or no JWKS in the body. */
function isFetchFailure(error: unknown): error is Error {
  return (
    error instanceof TypeError ||
    error instanceof ProviderAnswerTooLargeError ||
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
  );
}

/** The key type (and curve) each algorithm verifies with. */
function fitsAlgorithm(jwk: JSONWebKeySet['keys'][number], alg: string): boolean {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA';
  if (alg === 'ES256') return jwk.kty === 'EC' && jwk.crv === 'P-256';
  if (alg === 'ES384') return jwk.kty === 'EC' && jwk.crv === 'P-384';
  if (alg === 'ES512') return jwk.kty === 'EC' && jwk.crv === 'P-521';
  if (alg === 'EdDSA') return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
  return false;
}

function hasSigningKey(jwks: JSONWebKeySet | undefined, algorithms: readonly string[]): boolean {
  return (jwks?.keys ?? []).some(
    (jwk) => (jwk.use === undefined || jwk.use === 'sig') && algorithms.some((alg) => (jwk.alg === undefined || jwk.alg === alg) && fitsAlgorithm(jwk, alg)),
  );
}
