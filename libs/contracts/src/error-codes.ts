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
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
