export { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE, accessTokenClaimsSchema, type AccessTokenClaims } from './access-token-claims';
export { accessTokenVerifyOptions, keyProviderFor, UnacceptableTokenHeaderError } from './access-token-verification';
export { AccessTokenIssuer, type AccessTokenIssuerOptions, type IssuedAccessToken, type SigningKeySource } from './access-token.issuer';
export { InvalidSigningKeyError, loadSigningKey, type LoadedSigningKey, type SigningKey, type SigningKeyConfig } from './signing-key';
export { VerificationKeys, type KeyLookup, type KeyResolver, type PublicJwk } from './verification-keys';
export { SigningKeyRing, type SigningKeyRingConfig } from './signing-key-ring';
