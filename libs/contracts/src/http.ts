import { z } from 'zod';
import type { ErrorCode } from './error-codes';
import type { Role, SessionId, UserId } from './ids';
import type { SessionData } from './socket-events';

export const usernameSchema = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-" only, starting with a letter or digit');
export const passwordSchema = z.string().min(8).max(1024);

export const credentialsBodySchema = z.strictObject({ username: usernameSchema, password: passwordSchema });
export type CredentialsBody = z.infer<typeof credentialsBodySchema>;

/** `?confirm=true` on logout endpoints: wait for the gateways' confirmations. */
export const confirmQuerySchema = z
  .enum(['true', 'false'])
  .optional()
  .transform((value) => value === 'true');

/** `GET /admin/users?username=`: find a user by name (names are unique case-insensitively). */
export const userLookupQuerySchema = z.strictObject({ username: usernameSchema });
export type UserLookupQuery = z.infer<typeof userLookupQuerySchema>;

export interface RefreshBody {
  refreshToken: string;
}
export const refreshBodySchema = z.strictObject({ refreshToken: z.string().min(1).max(512) }) satisfies z.ZodType<RefreshBody>;

export interface UserView {
  id: UserId;
  username: string;
  roles: Role[];
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds until `accessToken` expires. */
  expiresIn: number;
}

export interface LoginResponse extends TokenPair {
  sessionId: SessionId;
  user: UserView;
}

export interface MeResponse extends UserView {
  sessionId: SessionId;
  /** The current session's data, as set from sockets with `session:set`. */
  sessionData: SessionData;
}

export interface SessionView {
  sessionId: SessionId;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
  userAgent: string;
  ip: string;
  current?: boolean;
}

export interface ConnectionView {
  nodeId: string;
  socketId: string;
  sessionId: SessionId;
  connectedAt: string;
}

export interface ConnectionCounts {
  total: number;
  nodes: Array<{ nodeId: string; connections: number; alive: boolean }>;
}

export interface RevocationConfirmation {
  /** Sockets closed, over all nodes that confirmed. */
  closedSockets: number;
  nodes: Array<{ nodeId: string; closedSockets: number }>;
  /** Live nodes that did not confirm before the deadline. */
  unconfirmedNodes: string[];
}

export interface RevokeResponse extends RevocationConfirmation {
  revokedSessions: number;
}

/** The body of every error response. `code` is stable and machine-readable; `message` is for humans. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code?: ErrorCode;
}

/**
 * The error body of `POST /oidc/backchannel-logout`: the usual fields plus OAuth 2.0's (RFC 6749, section 5.2), which
 * OpenID Connect Back-Channel Logout 1.0 (section 2.8) names. A refused request or token is a 400 with `error`
 * `invalid_request`.
 */
export interface BackchannelLogoutErrorBody extends ErrorBody {
  error_description: string;
}

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'INVALID_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'INVALID_INPUT',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** The code for an error that carries only an HTTP status. */
export function errorCodeForStatus(status: number): ErrorCode | undefined {
  return CODE_BY_STATUS[status];
}
