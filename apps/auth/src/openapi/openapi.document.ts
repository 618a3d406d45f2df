import {
  backchannelLogoutErrorBodySchema,
  backchannelLogoutFormSchema,
  clusterViewSchema,
  confirmQuerySchema,
  connectionCountsSchema,
  connectionViewSchema,
  credentialsBodySchema,
  errorBodySchema,
  healthReportSchema,
  jwksSchema,
  livenessReportSchema,
  loginResponseSchema,
  meResponseSchema,
  readinessReportSchema,
  refreshBodySchema,
  registeredUserSchema,
  revocationConfirmationSchema,
  revokeResponseSchema,
  sessionIdSchema,
  sessionViewSchema,
  tokenPairSchema,
  userIdSchema,
  userLookupQuerySchema,
  userViewSchema,
  type ErrorCode,
} from '@app/contracts';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';

export type OpenApiDocument = ReturnType<typeof createDocument>;

/** What the document needs to know of the running service. */
export interface OpenApiDocumentOptions {
  /** The session cookie's name (`__Host-sid`, or `sid` when `COOKIE_SECURE=false`). */
  cookieName: string;
}

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;
/** The codes a route may answer, per status. */
type ErrorCodes = Partial<Record<ErrorStatus, readonly ErrorCode[]>>;

const retryAfter = z.string().meta({ description: 'Seconds to wait before retrying.' });

/** Error answers in the shape every route uses, each status with the codes it carries. */
function errors(codes: ErrorCodes, body: z.ZodObject = errorBodySchema): ZodOpenApiResponsesObject {
  const all: ErrorCodes = { ...codes, 500: ['INTERNAL'] };
  return Object.fromEntries(
    Object.entries(all).map(([status, statusCodes]) => [
      status,
      {
        description: statusCodes.join(', '),
        ...(status === '429' || status === '503' ? { headers: z.object({ 'Retry-After': retryAfter }) } : {}),
        content: { 'application/json': { schema: body.extend({ statusCode: z.literal(Number(status)), code: z.enum(statusCodes as [ErrorCode, ...ErrorCode[]]) }) } },
      },
    ]),
  );
}

const json = <Schema extends z.ZodType>(description: string, schema: Schema) => ({ description, content: { 'application/json': { schema } } });

const AUTHENTICATED: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { sessionCookie: [] }];
/** A refused credential (missing, forged, expired, or its session ended). */
const CREDENTIAL_REFUSED: ErrorCodes = { 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] };
/** A state change authenticated by the cookie needs an allowed Origin (CSRF). */
const COOKIE_STATE_CHANGE: ErrorCodes = { 403: ['ORIGIN_NOT_ALLOWED'] };
const REDIS_UNAVAILABLE: ErrorCodes = { 503: ['UNAVAILABLE'] };
const JSON_BODY: ErrorCodes = { 400: ['INVALID_INPUT'], 413: ['PAYLOAD_TOO_LARGE'] };

function authenticated(operation: ZodOpenApiOperationObject, codes: ErrorCodes): ZodOpenApiOperationObject {
  return { ...operation, security: AUTHENTICATED, responses: { ...operation.responses, ...errors({ ...CREDENTIAL_REFUSED, ...REDIS_UNAVAILABLE, ...codes }) } };
}

function admin(operation: ZodOpenApiOperationObject, codes: ErrorCodes = {}): ZodOpenApiOperationObject {
  const forbidden = [...(codes[403] ?? []), 'FORBIDDEN'] as const;
  return authenticated({ ...operation, tags: ['admin'] }, { ...codes, 403: forbidden });
}

const userIdPath = z.object({ userId: userIdSchema.meta({ description: 'The user\'s id (a UUID).' }) });
const confirmQuery = z.object({
  confirm: confirmQuerySchema.meta({ description: '`true`: wait for every live gateway\'s count of closed sockets and answer 200.' }),
});
const revocation = {
  '200': json('With `?confirm=true`: every live gateway\'s count of closed sockets.', revocationConfirmationSchema),
  '204': { description: 'Ended; the session cookie is cleared.' },
};

/**
 * The auth service's HTTP API as an OpenAPI 3.1 document, generated from the zod schemas its routes validate with and
 * answer in (libs/contracts). test/auth/openapi.e2e-spec.ts compares its paths with the app's real routes.
 */
export function buildOpenApiDocument({ cookieName }: OpenApiDocumentOptions): OpenApiDocument {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'sessionwire auth service',
      version: '1',
      description:
        'Sessions, access and refresh tokens, logout everywhere, admin revocation and OpenID Connect back-channel logout. ' +
        'Every error is `{statusCode, error, message, code}`; `code` is stable.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token (ES256) from login or refresh.' },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: cookieName,
          description: 'The HttpOnly session cookie set by login. A state change needs an allowed `Origin` or `Sec-Fetch-Site: same-origin`.',
        },
      },
    },
    paths: {
      '/auth/register': {
        post: {
          tags: ['auth'],
          requestBody: { required: true, content: { 'application/json': { schema: credentialsBodySchema } } },
          responses: {
            '201': json('Registered.', registeredUserSchema),
            ...errors({ ...JSON_BODY, 409: ['CONFLICT'], ...REDIS_UNAVAILABLE }),
          },
        },
      },
      '/auth/login': {
        post: {
          tags: ['auth'],
          requestBody: { required: true, content: { 'application/json': { schema: credentialsBodySchema } } },
          responses: {
            '200': {
              ...json('Signed in: tokens, and the session cookie.', loginResponseSchema),
              headers: z.object({ 'Set-Cookie': z.string().meta({ description: `\`${cookieName}\`, HttpOnly, SameSite=Lax.` }) }),
            },
            ...errors({ ...JSON_BODY, 401: ['UNAUTHORIZED'], 429: ['RATE_LIMITED'], ...REDIS_UNAVAILABLE }),
          },
        },
      },
      '/auth/refresh': {
        post: {
          tags: ['auth'],
          description: 'Rotates the refresh token. A rotated-away token ends the session, except the last one within `REFRESH_REUSE_GRACE`.',
          requestBody: { required: true, content: { 'application/json': { schema: refreshBodySchema } } },
          responses: { '200': json('A fresh token pair.', tokenPairSchema), ...errors({ ...JSON_BODY, 401: ['UNAUTHORIZED', 'SESSION_REVOKED'], ...REDIS_UNAVAILABLE }) },
        },
      },
      '/auth/logout': {
        post: authenticated(
          { tags: ['auth'], description: 'Ends the current session.', requestParams: { query: confirmQuery }, responses: revocation },
          { 400: ['INVALID_INPUT'], ...COOKIE_STATE_CHANGE },
        ),
      },
      '/auth/logout-all': {
        post: authenticated(
          { tags: ['auth'], description: 'Ends every session of the user.', requestParams: { query: confirmQuery }, responses: revocation },
          { 400: ['INVALID_INPUT'], ...COOKIE_STATE_CHANGE },
        ),
      },
      '/auth/me': {
        get: authenticated({ tags: ['auth'], responses: { '200': json('The caller.', meResponseSchema) } }, {}),
      },
      '/auth/sessions': {
        get: authenticated({ tags: ['auth'], responses: { '200': json('The user\'s live sessions.', z.array(sessionViewSchema)) } }, {}),
      },
      '/auth/sessions/{sessionId}': {
        delete: authenticated(
          {
            tags: ['auth'],
            description: 'Ends one of the caller\'s own sessions.',
            requestParams: { path: z.object({ sessionId: sessionIdSchema }) },
            responses: { '204': { description: 'Ended.' } },
          },
          { 400: ['INVALID_INPUT'], ...COOKIE_STATE_CHANGE, 404: ['NOT_FOUND'] },
        ),
      },
      '/admin/users': {
        get: admin(
          {
            description: 'Finds a user by name (case-insensitive).',
            requestParams: { query: userLookupQuerySchema },
            responses: { '200': json('The user.', userViewSchema) },
          },
          { 400: ['INVALID_INPUT'], 404: ['NOT_FOUND'] },
        ),
      },
      '/admin/users/{userId}/revoke': {
        post: admin(
          {
            description: 'Ends every session of the user; answers once every live gateway confirmed, or the deadline passed.',
            requestParams: { path: userIdPath },
            responses: { '200': json('Sessions ended, and the gateways\' counts.', revokeResponseSchema) },
          },
          { 400: ['INVALID_INPUT'], 403: ['ORIGIN_NOT_ALLOWED'], 404: ['NOT_FOUND'] },
        ),
      },
      '/admin/users/{userId}/sessions/{sessionId}/revoke': {
        post: admin(
          {
            description: 'Ends one session of the user; answers once every live gateway confirmed, or the deadline passed.',
            requestParams: { path: userIdPath.extend({ sessionId: sessionIdSchema.meta({ description: 'The session\'s (public) id.' }) }) },
            responses: { '200': json('The session ended, and the gateways\' counts.', revokeResponseSchema) },
          },
          { 400: ['INVALID_INPUT'], 403: ['ORIGIN_NOT_ALLOWED'], 404: ['NOT_FOUND'] },
        ),
      },
      '/admin/users/{userId}/sessions': {
        get: admin(
          { requestParams: { path: userIdPath }, responses: { '200': json('The user\'s live sessions.', z.array(sessionViewSchema)) } },
          { 400: ['INVALID_INPUT'], 404: ['NOT_FOUND'] },
        ),
      },
      '/admin/users/{userId}/connections': {
        get: admin(
          {
            description: 'The user\'s live sockets on every gateway, also for a user of an external OpenID Provider (its derived id).',
            requestParams: { path: userIdPath },
            responses: { '200': json('Live sockets.', z.array(connectionViewSchema)) },
          },
          { 400: ['INVALID_INPUT'], 404: ['NOT_FOUND'] },
        ),
      },
      '/admin/connections/count': {
        get: admin({ responses: { '200': json('Live sockets per gateway node.', connectionCountsSchema) } }),
      },
      '/admin/nodes': {
        get: admin({
          description:
            'Every gateway node: alive (heartbeat), connections (registry), subscriber state and draining (what the node publishes ' +
            'beside its heartbeat; null without a report), and the live nodes\' revoke→close latency histograms added up.',
          responses: { '200': json('The cluster.', clusterViewSchema) },
        }),
      },
      '/oidc/backchannel-logout': {
        post: {
          tags: ['oidc'],
          description:
            'OpenID Connect Back-Channel Logout 1.0: a provider of `OIDC_ISSUERS` (with a `clientId`) posts a logout token. ' +
            'Every answer has `Cache-Control: no-store`.',
          requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: backchannelLogoutFormSchema } } },
          responses: {
            '200': { description: 'The end is recorded and announced (`user-logged-out` version 2). Empty body.' },
            ...errors({ 400: ['INVALID_LOGOUT_TOKEN', 'INVALID_INPUT'], 413: ['PAYLOAD_TOO_LARGE'], 415: ['INVALID_INPUT'] }, backchannelLogoutErrorBodySchema),
            // Redis or the issuer's keys out of reach: the usual body, with `error_description` when the keys were.
            ...errors(REDIS_UNAVAILABLE, errorBodySchema.extend({ error_description: z.string().optional() })),
          },
        },
      },
      '/.well-known/jwks.json': {
        get: { tags: ['keys'], responses: { '200': json('The public signing keys (current, and next/previous during a rotation).', jwksSchema) } },
      },
      '/health': {
        get: {
          tags: ['health'],
          responses: { '200': json('Redis answers.', healthReportSchema), '503': json('Redis does not answer.', healthReportSchema) },
        },
      },
      '/health/live': {
        get: { tags: ['health'], description: 'Asks nothing of Redis. Not routed through nginx.', responses: { '200': json('The process answers.', livenessReportSchema) } },
      },
      '/health/ready': {
        get: {
          tags: ['health'],
          description: 'Not routed through nginx.',
          responses: { '200': json('Ready.', readinessReportSchema), '503': json('Redis does not answer.', readinessReportSchema) },
        },
      },
      '/metrics': {
        get: {
          tags: ['health'],
          description: 'Prometheus metrics. Not routed through nginx.',
          responses: { '200': { description: 'Prometheus text format.', content: { 'text/plain': { schema: z.string() } } } },
        },
      },
      '/openapi.json': {
        get: { tags: ['meta'], responses: { '200': { description: 'This document.', content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } } } } },
      },
    },
  });
}
