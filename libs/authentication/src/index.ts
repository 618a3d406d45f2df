export { ACCESS_TOKEN_STRATEGY, AccessTokenStrategy } from './access-token.strategy';
export { authenticateRequest } from './authenticate-request';
export { AuthenticationFailure, toAuthenticationFailure, type AuthenticationFailureCode } from './authentication-failure';
export { AuthenticationModule } from './authentication.module';
export type { Credential } from './credential';
export type { AuthenticationOptions } from './authentication-options';
export type { AuthenticatedRequest, Principal } from './principal';
export { SESSION_COOKIE_STRATEGY, SessionCookieStrategy } from './session-cookie.strategy';
export { principalOf, SessionProof, sessionEnded } from './session-proof';
