import type { KeyObject } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import type { ACCESS_TOKEN_ALGORITHM } from './access-token-claims';

export interface PublicJwk extends JWK {
  kid: string;
  alg: string;
  use: 'sig';
}

/** The protected header fields a key is looked up by, once `alg` and `typ` are checked. */
export interface KeyLookup {
  alg: typeof ACCESS_TOKEN_ALGORITHM;
  kid: string;
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
    return Promise.resolve(this.byKid.get(kid));
  }

  /** The body of `GET /.well-known/jwks.json`. */
  toJwks(): { keys: readonly PublicJwk[] } {
    return { keys: this.jwks };
  }
}
