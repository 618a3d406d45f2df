import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { ACCESS_TOKEN_ALGORITHM } from './access-token-claims';

export interface SigningKeyConfig {
  /** A PKCS#8 PEM file holding the P-256 private key (production: a mounted secret). */
  file?: string;
  /** The same PEM, inline (e.g. from a secret manager). */
  pem?: string;
  /** Development only: where a generated key is kept so that restarts keep tokens valid. */
  generatedFile?: string;
}

export interface SigningKey {
  /** RFC 7638 thumbprint of the public key: stable, and changes whenever the key does. */
  kid: string;
  alg: typeof ACCESS_TOKEN_ALGORITHM;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export class InvalidSigningKeyError extends Error {
  override readonly name = 'InvalidSigningKeyError';
}

export interface LoadedSigningKey {
  key: SigningKey;
  /** Set when a development key was generated at this start. */
  generatedAt?: string;
}

/** Loads the access-token signing key from a file or PEM, or generates and keeps a development key. */
export async function loadSigningKey(config: SigningKeyConfig): Promise<LoadedSigningKey> {
  if (config.pem) return { key: await toSigningKey(config.pem, 'SIGNING_KEY') };
  if (config.file) {
    const source = `SIGNING_KEY_FILE (${config.file})`;
    const pem = await readFile(config.file, 'utf8').catch((error: Error) => {
      throw new InvalidSigningKeyError(`${source} cannot be read: ${error.message}`);
    });
    return { key: await toSigningKey(pem, source) };
  }
  if (!config.generatedFile) {
    throw new InvalidSigningKeyError('No signing key: set SIGNING_KEY_FILE or SIGNING_KEY to a P-256 private key in PKCS#8 PEM.');
  }
  const existing = await readFile(config.generatedFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing) return { key: await toSigningKey(existing, `DEV_SIGNING_KEY_FILE (${config.generatedFile})`) };
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await mkdir(dirname(config.generatedFile), { recursive: true });
  await writeFile(config.generatedFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  return { key: await toSigningKey(await readFile(config.generatedFile, 'utf8'), `DEV_SIGNING_KEY_FILE (${config.generatedFile})`), generatedAt: config.generatedFile };
}

async function toSigningKey(pem: string, source: string): Promise<SigningKey> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw new InvalidSigningKeyError(`${source} is not a PEM private key: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InvalidSigningKeyError(`${source} must be an EC P-256 key for ${ACCESS_TOKEN_ALGORITHM}; got ${privateKey.asymmetricKeyType}.`);
  }
  const publicKey = createPublicKey(privateKey);
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  return { kid, alg: ACCESS_TOKEN_ALGORITHM, privateKey, publicKey };
}
