export { fetchBounded, MAX_PROVIDER_ANSWER_BYTES, ProviderAnswerTooLargeError } from './bounded-fetch';
export { discover, discoveredJwksUriProblem, DiscoveryError, jwksUriOf, UntrustedDiscoveryError, type DiscoveryDocument } from './discovery';
export { externalSessionId, externalUserId, isExternalUserId, PROVIDER_VALUE_MAX_LENGTH, providerValueProblem, sessionlessSessionId } from './external-ids';
export {
  ASYMMETRIC_ALGORITHMS,
  claimAt,
  endedSessionTtlSeconds,
  providerUrlSchema,
  trustedIssuerSchema,
  trustedIssuersSchema,
  type AsymmetricAlgorithm,
  type TrustedIssuer,
  type TrustedIssuerInput,
} from './trusted-issuer';
