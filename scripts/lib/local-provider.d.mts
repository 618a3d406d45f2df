// Types for local-provider.mjs, used by the TypeScript test harness as well as the launcher.

export const LOCAL_CLIENT_ID: string;
export const LOCAL_AUDIENCE: string;
export const LOCAL_ROLES_CLAIM: string;
export const LOCAL_PROVIDER_PATH: string;
export const LOCAL_PROVIDER_NAME: string;
export const LOCAL_ACCESS_TOKEN_TTL_SECONDS: number;

export interface ProviderFiles {
  signingKeys: string;
  cookieKey: string;
  devAdminToken: string;
}

export function providerFiles(stateDir: string): ProviderFiles;

/** A private JWK as the key file holds it (RSA or P-256), with `alg`, `use: 'sig'` and its thumbprint as `kid`. */
export interface ProviderJwk {
  kty: 'RSA' | 'EC';
  kid: string;
  alg: 'RS256' | 'ES256';
  use: 'sig';
  [member: string]: string;
}

export interface SigningKeys {
  /** One RS256 and one ES256 key: they sign. */
  current: ProviderJwk[];
  /** Keys that signed before a rotation, still published until retired. */
  previous: ProviderJwk[];
}

export function ensureSigningKeys(stateDir: string): Promise<SigningKeys>;
export function readSigningKeys(stateDir: string): Promise<SigningKeys>;
export function rotateSigningKeys(stateDir: string): Promise<string[]>;
export function retireSigningKeys(stateDir: string): Promise<string[]>;
export function providerJwks(keys: SigningKeys): { keys: ProviderJwk[] };
export function ensureSecret(file: string): Promise<string>;

export interface LocalIssuerEntry {
  name: string;
  issuer: string;
  jwksUri?: string;
  audience: string;
  clientId: string;
  algorithms: Array<'RS256' | 'ES256'>;
  claims: { userId: string; sessionId: string; roles: string };
  maxTokenLifetimeSeconds: number;
}

export function localIssuerEntry(issuer: string, jwksUri?: string): LocalIssuerEntry;
