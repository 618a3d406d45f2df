import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './error-codes';
import { roleSchema, sessionIdSchema, userIdSchema, type Role, type SessionId, type UserId } from './ids';
import { jsonValueSchema, type SessionData } from './socket-events';

// Each answer is declared twice on purpose: an interface (the client SDK's published types need nothing but
// socket.io-client) and a zod schema that `satisfies` it, from which the auth service's OpenAPI document is generated.

export const usernameSchema = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-" only, starting with a letter or digit');
export const passwordSchema = z.string().min(8).max(1024);

export const credentialsBodySchema = z.strictObject({ username: usernameSchema, password: passwordSchema }).meta({ id: 'Credentials' });
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
export const refreshBodySchema = z.strictObject({ refreshToken: z.string().min(1).max(512) }).meta({ id: 'RefreshBody' }) satisfies z.ZodType<RefreshBody>;

/**
 * The form body of `POST /oidc/backchannel-logout` (OpenID Connect Back-Channel Logout 1.0, section 2.5). Other
 * parameters are ignored, as the specification lets a receiver do.
 */
export const backchannelLogoutFormSchema = z.object({ logout_token: z.string().min(1) }).meta({ id: 'BackchannelLogoutForm' });
export type BackchannelLogoutForm = z.infer<typeof backchannelLogoutFormSchema>;

export interface UserView {
  id: UserId;
  username: string;
  roles: Role[];
}

export const userViewSchema = z.strictObject({ id: userIdSchema, username: z.string(), roles: z.array(roleSchema) }).meta({ id: 'User' }) satisfies z.ZodType<UserView>;
/** `POST /auth/register`'s answer. */
export const registeredUserSchema = userViewSchema.pick({ id: true, username: true }).meta({ id: 'RegisteredUser' }) satisfies z.ZodType<Pick<UserView, 'id' | 'username'>>;

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds until `accessToken` expires. */
  expiresIn: number;
}

const tokenPairShape = {
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int().positive().meta({ description: 'Seconds until `accessToken` expires.' }),
};
export const tokenPairSchema = z.strictObject(tokenPairShape).meta({ id: 'TokenPair' }) satisfies z.ZodType<TokenPair>;

export interface LoginResponse extends TokenPair {
  sessionId: SessionId;
  user: UserView;
}

export const loginResponseSchema = z
  .strictObject({ ...tokenPairShape, sessionId: sessionIdSchema, user: userViewSchema })
  .meta({ id: 'LoginResponse' }) satisfies z.ZodType<LoginResponse>;

export interface MeResponse extends UserView {
  sessionId: SessionId;
  /** The current session's data, as set from sockets with `session:set`. */
  sessionData: SessionData;
}

export const meResponseSchema = z
  .strictObject({
    ...userViewSchema.shape,
    sessionId: sessionIdSchema,
    sessionData: z.record(z.string(), jsonValueSchema).meta({ description: 'The current session\'s data, as set from sockets with `session:set`.' }),
  })
  .meta({ id: 'Me' }) satisfies z.ZodType<MeResponse>;

export interface SessionView {
  sessionId: SessionId;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
  userAgent: string;
  ip: string;
  current?: boolean;
}

export const sessionViewSchema = z
  .strictObject({
    sessionId: sessionIdSchema,
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime(),
    userAgent: z.string(),
    ip: z.string(),
    current: z.boolean().optional().meta({ description: 'In the user\'s own list: whether this is the session of the request.' }),
  })
  .meta({ id: 'Session' }) satisfies z.ZodType<SessionView>;

export interface ConnectionView {
  nodeId: string;
  socketId: string;
  sessionId: SessionId;
  connectedAt: string;
  /** The socket's Engine.IO transport; null when its gateway predates this field. */
  transport: 'polling' | 'websocket' | null;
  /** When the socket's credential expires (`auth:refresh` moves it); null when its gateway predates this field. */
  credentialExpiresAt: string | null;
}

export const connectionViewSchema = z
  .strictObject({
    nodeId: z.string(),
    socketId: z.string(),
    sessionId: sessionIdSchema,
    connectedAt: z.iso.datetime(),
    transport: z.enum(['polling', 'websocket']).nullable().meta({ description: 'The socket\'s Engine.IO transport; null when its gateway predates this field.' }),
    credentialExpiresAt: z.iso
      .datetime()
      .nullable()
      .meta({ description: 'When the socket\'s credential expires (`auth:refresh` moves it); null when its gateway predates this field.' }),
  })
  .meta({ id: 'Connection' }) satisfies z.ZodType<ConnectionView>;

export interface ConnectionCounts {
  total: number;
  nodes: Array<{ nodeId: string; connections: number; alive: boolean }>;
}

export const connectionCountsSchema = z
  .strictObject({
    total: z.number().int().min(0),
    nodes: z.array(z.strictObject({ nodeId: z.string(), connections: z.number().int().min(0), alive: z.boolean() })),
  })
  .meta({ id: 'ConnectionCounts' }) satisfies z.ZodType<ConnectionCounts>;

/** A histogram's cumulative buckets (seconds; the `+Inf` bucket is `count`), its sum and count. */
export interface LatencyHistogram {
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

export const latencyHistogramSchema = z
  .strictObject({
    buckets: z.array(z.strictObject({ le: z.number().positive(), count: z.number().int().min(0) })).meta({ description: 'Cumulative, by upper bound in seconds; `+Inf` is `count`.' }),
    count: z.number().int().min(0),
    sum: z.number().min(0).meta({ description: 'Seconds.' }),
  })
  .meta({ id: 'LatencyHistogram' }) satisfies z.ZodType<LatencyHistogram>;

/**
 * What a gateway publishes to Redis beside its heartbeat (`redisKeys.nodeReport`): the state the registry does not
 * know, and its `sessionwire_gateway_logout_propagation_seconds` histogram since it started.
 */
export interface NodeReport {
  /** The `user-logged-out` subscriber's ioredis status: `ready` while subscribed. */
  subscriber: string;
  draining: boolean;
  /** ISO time of the report. */
  reportedAt: string;
  logoutPropagation: LatencyHistogram;
}

export const nodeReportSchema = z.strictObject({
  subscriber: z.string().max(32),
  draining: z.boolean(),
  reportedAt: z.iso.datetime(),
  logoutPropagation: latencyHistogramSchema,
}) satisfies z.ZodType<NodeReport>;

export interface NodeView {
  nodeId: string;
  /** False when the node's heartbeat expired (its entries are about to be swept). */
  alive: boolean;
  connections: number;
  /** Null when the node published no report (it stopped, or predates reports). */
  subscriber: string | null;
  draining: boolean | null;
  reportedAt: string | null;
}

export interface ClusterView {
  nodes: NodeView[];
  /** The reporting nodes' logout propagation histograms, added up. */
  logoutPropagation: LatencyHistogram;
}

export const clusterViewSchema = z
  .strictObject({
    nodes: z.array(
      z.strictObject({
        nodeId: z.string(),
        alive: z.boolean().meta({ description: 'False when the node\'s heartbeat expired (its entries are about to be swept).' }),
        connections: z.number().int().min(0),
        subscriber: z.string().nullable().meta({ description: 'The `user-logged-out` subscriber\'s state (`ready` while subscribed); null when the node published no report.' }),
        draining: z.boolean().nullable(),
        reportedAt: z.iso.datetime().nullable(),
      }),
    ),
    logoutPropagation: latencyHistogramSchema.meta({ description: 'The reporting nodes\' revoke→close latency histograms, added up.' }),
  })
  .meta({ id: 'ClusterView' }) satisfies z.ZodType<ClusterView>;

export interface RevocationConfirmation {
  /** Sockets closed, over all nodes that confirmed. */
  closedSockets: number;
  nodes: Array<{ nodeId: string; closedSockets: number }>;
  /** Live nodes that did not confirm before the deadline. */
  unconfirmedNodes: string[];
}

const revocationConfirmationShape = {
  closedSockets: z.number().int().min(0).meta({ description: 'Sockets closed, over all nodes that confirmed.' }),
  nodes: z.array(z.strictObject({ nodeId: z.string(), closedSockets: z.number().int().min(0) })),
  unconfirmedNodes: z.array(z.string()).meta({ description: 'Live nodes that did not confirm before the deadline.' }),
};
export const revocationConfirmationSchema = z
  .strictObject(revocationConfirmationShape)
  .meta({ id: 'RevocationConfirmation' }) satisfies z.ZodType<RevocationConfirmation>;

export interface RevokeResponse extends RevocationConfirmation {
  revokedSessions: number;
}
export const revokeResponseSchema = z
  .strictObject({ revokedSessions: z.number().int().min(0), ...revocationConfirmationShape })
  .meta({ id: 'RevokeResponse' }) satisfies z.ZodType<RevokeResponse>;

/** The body of every error response. `code` is stable and machine-readable; `message` is for humans. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code?: ErrorCode;
}

const errorBodyShape = {
  statusCode: z.number().int().min(400).max(599),
  error: z.string().meta({ description: 'The HTTP reason phrase.' }),
  message: z.string().meta({ description: 'For humans; may change.' }),
  code: z.enum(ERROR_CODES).optional().meta({ description: 'Stable and machine-readable.' }),
};
export const errorBodySchema = z.strictObject(errorBodyShape).meta({ id: 'Error' }) satisfies z.ZodType<ErrorBody>;

/**
 * The error body of `POST /oidc/backchannel-logout`: the usual fields plus OAuth 2.0's (RFC 6749, section 5.2), which
 * OpenID Connect Back-Channel Logout 1.0 (section 2.8) names. A refused request or token is a 400 with `error`
 * `invalid_request`.
 */
export interface BackchannelLogoutErrorBody extends ErrorBody {
  error_description: string;
}
export const backchannelLogoutErrorBodySchema = z
  .strictObject({
    ...errorBodyShape,
    error: z.string().meta({ description: '`invalid_request` for a 400 (RFC 6749, section 5.2), else the HTTP reason phrase.' }),
    error_description: z.string(),
  })
  .meta({ id: 'BackchannelLogoutError' }) satisfies z.ZodType<BackchannelLogoutErrorBody>;

/** `GET /health`. */
export const healthReportSchema = z.strictObject({ status: z.enum(['ok', 'degraded']), redis: z.string() }).meta({ id: 'HealthReport' });
export type HealthReport = z.infer<typeof healthReportSchema>;
/** `GET /health/live`. */
export const livenessReportSchema = z.strictObject({ status: z.literal('ok') }).meta({ id: 'LivenessReport' });
export type LivenessReport = z.infer<typeof livenessReportSchema>;
/** `GET /health/ready`. */
export const readinessReportSchema = z.strictObject({ status: z.enum(['ready', 'not_ready']), redis: z.string() }).meta({ id: 'ReadinessReport' });
export type ReadinessReport = z.infer<typeof readinessReportSchema>;

/** `GET /.well-known/jwks.json`: the public keys access tokens are verified with (RFC 7517). */
export const jwksSchema = z
  .object({
    keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') })),
  })
  .meta({ id: 'JWKS' });
export type Jwks = z.infer<typeof jwksSchema>;

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
