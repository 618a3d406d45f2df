// Everything of @app/authentication that needs no Nest: the packages under libs/ bundle this file (their
// tsconfig.build.json maps @app/authentication here).
export type { Credential, ExternalCredential, OwnCredential } from './credential';
export type { Principal } from './principal';
export {
  accessTokenCredential,
  accessTokenStrategyOptions,
  CredentialRefusal,
  credentialRefusalOf,
  principalOf,
  sessionCookieCredential,
  sessionEndedRefusal,
  VerificationKeysUnavailable,
  type AuthenticationFailureCode,
} from './credential-verification';
export { CredentialVerifier, type CredentialVerifierOptions } from './credential-verifier';
export { externalTokenCredential, rolesIn } from './external-token-verification';
