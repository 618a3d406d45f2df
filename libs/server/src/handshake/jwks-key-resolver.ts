import { ACCESS_TOKEN_ALGORITHM, type KeyResolver } from '@app/tokens';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { JwksUnavailableError } from '../config/errors';
import type { SessionwireLogger } from '../config/logger';

const jwksSchema = z.object({
  keys: z.array(z.looseObject({ kid: z.string(), kty: z.string(), alg: z.string().optional(), use: z.string().optional() })),
});

/** Minimum time between two refetches triggered by unknown `kid`s, so forged tokens cannot hammer the auth service. */
const REFETCH_INTERVAL_MS = 30_000;

/**
 * The auth service's public keys, fetched from its JWKS and held as `KeyObject`s. A token with an unknown
 * `kid` (the auth service rotated its key) triggers a throttled refetch; that token is refused, the next succeed.
 */
export class JwksKeyResolver implements KeyResolver {
  private keys = new Map<string, KeyObject>();
  private lastFetchAt = 0;

  private constructor(
    private readonly url: string,
    private readonly logger: SessionwireLogger,
  ) {}

  /** Fetches the JWKS, retrying with backoff until `waitMs` has passed (the auth service may still be starting). */
  static async load(url: string, waitMs: number, logger: SessionwireLogger): Promise<JwksKeyResolver> {
    const resolver = new JwksKeyResolver(url, logger);
    const deadline = Date.now() + waitMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await resolver.fetch();
        return resolver;
      } catch (error) {
        const delay = Math.min(100 * 2 ** attempt, 2000);
        if (Date.now() + delay > deadline) {
          throw new JwksUnavailableError(
            `Could not load the auth service's keys from accessTokens.jwksUrl=${url} within accessTokens.jwksWaitMs=${waitMs} ms: ${(error as Error).message}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  find(kid: string): KeyObject | undefined {
    const key = this.keys.get(kid);
    if (!key && Date.now() - this.lastFetchAt > REFETCH_INTERVAL_MS) {
      this.fetch().catch((error: Error) => this.logger.warn(`JWKS refetch failed: ${error.message}`));
    }
    return key;
  }

  private async fetch(): Promise<void> {
    this.lastFetchAt = Date.now();
    const response = await fetch(this.url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new JwksUnavailableError(`GET ${this.url} answered ${response.status}`);
    const jwks = jwksSchema.parse(await response.json());
    const keys = new Map<string, KeyObject>();
    for (const jwk of jwks.keys) {
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      if (jwk.alg !== undefined && jwk.alg !== ACCESS_TOKEN_ALGORITHM) continue;
      keys.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
    }
    if (keys.size === 0) throw new JwksUnavailableError(`${this.url} holds no ${ACCESS_TOKEN_ALGORITHM} signing key`);
    this.keys = keys;
  }
}
