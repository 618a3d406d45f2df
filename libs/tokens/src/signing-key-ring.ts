import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { ACCESS_TOKEN_ALGORITHM } from './access-token-claims';
import { InvalidSigningKeyError, loadSigningKey, type SigningKey, type SigningKeyConfig } from './signing-key';
import { VerificationKeys, type KeyLookup, type KeyResolver, type PublicJwk } from './verification-keys';

export interface SigningKeyRingConfig {
  /** The key tokens are signed with. */
  current: SigningKeyConfig;
  /** A file holding the key that will sign next (published only); an empty file publishes none. */
  nextFile?: string;
  /** A file holding the key that signed before (published until its tokens have expired); an empty file publishes none. */
  previousFile?: string;
}

/** A key published beside the signing one: only its public half is needed. */
interface PublishedKey {
  kid: string;
  alg: typeof ACCESS_TOKEN_ALGORITHM;
  publicKey: KeyObject;
}

interface Ring {
  signing: SigningKey;
  verification: VerificationKeys;
  published: string[];
}

/**
 * The signing key and the keys published beside it (the next and the previous one), read from their files at start
 * and again on `reload()`: a rotation publishes the next key, switches signing to it, then retires the previous one,
 * all without a restart. A reload that finds a bad file keeps the keys it had.
 */
export class SigningKeyRing implements KeyResolver {
  private constructor(
    private readonly config: SigningKeyRingConfig,
    private ring: Ring,
  ) {}

  /** @throws InvalidSigningKeyError naming the variable whose key is missing or bad. */
  static async load(config: SigningKeyRingConfig): Promise<{ ring: SigningKeyRing; generatedAt?: string }> {
    const { key, generatedAt } = await loadSigningKey(config.current);
    return { ring: new SigningKeyRing(config, await assemble(key, config)), generatedAt };
  }

  /** The key new tokens are signed with. */
  signingKey(): SigningKey {
    return this.ring.signing;
  }

  /** The `kid`s served in the JWKS: the signing key's first. */
  publishedKids(): readonly string[] {
    return this.ring.published;
  }

  keyFor(header: KeyLookup): Promise<KeyObject | undefined> {
    return this.ring.verification.keyFor(header);
  }

  /** The body of `GET /.well-known/jwks.json`. */
  toJwks(): { keys: readonly PublicJwk[] } {
    return this.ring.verification.toJwks();
  }

  /**
   * Reads every key file again. Throws `InvalidSigningKeyError` naming the variable (and keeps the keys it had) when
   * one is missing or bad.
   */
  async reload(): Promise<void> {
    const { key } = await loadSigningKey(this.config.current);
    this.ring = await assemble(key, this.config);
  }
}

async function assemble(signing: SigningKey, config: SigningKeyRingConfig): Promise<Ring> {
  const others = [await publishedKey(config.nextFile, 'SIGNING_KEY_NEXT_FILE'), await publishedKey(config.previousFile, 'SIGNING_KEY_PREVIOUS_FILE')];
  // One kid once: a JWKS listing a key twice makes verifiers refuse its tokens (more than one matching key).
  const keys = [signing, ...others.filter((key): key is PublishedKey => key !== undefined)].filter(
    (key, index, all) => all.findIndex((other) => other.kid === key.kid) === index,
  );
  return { signing, verification: await VerificationKeys.fromKeyObjects(keys), published: keys.map((key) => key.kid) };
}

/** The public key in `file` (a private or public P-256 PEM), or none when the file is empty. */
async function publishedKey(file: string | undefined, variable: string): Promise<PublishedKey | undefined> {
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidSigningKeyError(`${variable} (${file}) cannot be read: ${(error as Error).message}`);
  }
  if (pem.trim() === '') return undefined;
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pem);
  } catch (error) {
    throw new InvalidSigningKeyError(`${variable} (${file}) is not a PEM key: ${(error as Error).message}`);
  }
  if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InvalidSigningKeyError(`${variable} (${file}) must be an EC P-256 key for ${ACCESS_TOKEN_ALGORITHM}; got ${publicKey.asymmetricKeyType}.`);
  }
  return { kid: await calculateJwkThumbprint(await exportJWK(publicKey)), alg: ACCESS_TOKEN_ALGORITHM, publicKey };
}
