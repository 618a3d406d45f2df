export * from './portable';
export { ACCESS_TOKEN_STRATEGY, AccessTokenStrategy } from './access-token.strategy';
export { authenticateRequest } from './authenticate-request';
export { AuthenticationFailure, toAuthenticationFailure } from './authentication-failure';
export { AuthenticationModule } from './authentication.module';
export type { AuthenticationOptions } from './authentication-options';
export type { AuthenticatedRequest } from './principal';
export { SESSION_COOKIE_STRATEGY, SessionCookieStrategy } from './session-cookie.strategy';
export { SessionProof, sessionEnded } from './session-proof';
