export { roleSchema, sessionIdSchema, userIdSchema, type Role, type SessionId, type UserId } from './ids';
export {
  credentialsBodySchema,
  ERROR_CODES,
  passwordSchema,
  refreshBodySchema,
  usernameSchema,
  type CredentialsBody,
  type ErrorBody,
  type ErrorCode,
  type LoginResponse,
  type MeResponse,
  type RefreshBody,
  type RevokeResponse,
  type SessionView,
  type TokenPair,
  type UserView,
} from './http';
export { redisKeys } from './redis-keys';
export {
  createUserLoggedOut,
  parseUserLoggedOut,
  sessionEndReasonSchema,
  USER_LOGGED_OUT_CHANNEL,
  userLoggedOutSchema,
  type SessionEndReason,
  type UserLoggedOut,
  type UserLoggedOutParseResult,
} from './user-logged-out';
