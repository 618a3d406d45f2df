/** Stable error codes, shared by HTTP error bodies and Socket.IO `connect_error` messages. */
export const ERROR_CODES = [
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'SESSION_REVOKED',
  'ORIGIN_NOT_ALLOWED',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'FORBIDDEN',
  'INVALID_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_CONNECTIONS',
  'INTERNAL',
  /** A back-channel logout token that fails validation (OpenID Connect Back-Channel Logout 1.0, section 2.6). */
  'INVALID_LOGOUT_TOKEN',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
