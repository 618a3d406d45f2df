import { trustedIssuersSchema, type TrustedIssuer, type TrustedIssuerInput } from '@app/oidc';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { hostname } from 'node:os';
import { z } from 'zod';
import { InvalidSessionwireOptionsError } from './errors';
import type { SessionwireLogger } from './logger';

/**
 * A prom-client `Registry`, described by what sessionwire uses of it, so the types need prom-client only when metrics
 * are used (it is an optional peer dependency).
 */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
}

/** Where sessionwire keeps and reads sessions: the auth service's Redis. */
export type SessionwireRedis = string | RedisOptions | Redis | Cluster;

export interface SessionwireOptions {
  /**
   * The auth service's Redis (sessions, the shared registry, the `user-logged-out` channel). An ioredis `Redis`
   * (standalone or Sentinel) or `Cluster` stays the app's: sessionwire sends commands on it, opens one subscriber
   * connection of its own beside it and `close()` leaves it open. A `redis://` URL or `RedisOptions` make a client
   * sessionwire owns and closes.
   * @default (required)
   */
  redis: SessionwireRedis;
  /**
   * This process's name in the shared registry: unique per live process, the same across restarts of one replica
   * (its leftover entries are cleared at start). 1-64 of A-Z a-z 0-9 _ . -
   * @default `${hostname()}-${process.pid}`
   */
  nodeId?: string;
  /**
   * Origins whose browser pages may open a socket (exact match, e.g. `https://app.example.com`); a foreign one is
   * refused with `ORIGIN_NOT_ALLOWED` before any upgrade. Requests without an `Origin` (non-browser clients) pass.
   * @default (required)
   */
  allowedOrigins: readonly string[];
  /**
   * How the auth service's access tokens (ES256 JWTs; sessions in Redis) are verified. At least one of `accessTokens`
   * and `oidcIssuers` is required.
   * @default undefined (the auth service's tokens are not accepted)
   */
  accessTokens?: {
    /**
     * The auth service's JWKS (`GET /.well-known/jwks.json`).
     * @default (required)
     */
    jwksUrl: string;
    /**
     * The `iss` tokens must carry (the auth service's `JWT_ISSUER`).
     * @default (required)
     */
    issuer: string;
    /**
     * The `aud` tokens must carry (the auth service's `JWT_AUDIENCE`).
     * @default (required)
     */
    audience: string;
    /**
     * How long `createSessionwire` retries loading the JWKS (the auth service may still be starting).
     * @default 30000
     */
    jwksWaitMs?: number;
    /**
     * A token naming a `kid` the fetched JWKS lacks (a key published since) makes the JWKS be fetched again at once,
     * and the token verified with it, unless the last fetch is younger than this: a burst of forged `kid`s costs the
     * auth service at most one request per cooldown. Publish a new signing key at least this long before signing with
     * it (see the README's "Rotating the signing key").
     * @default 30000
     */
    jwksCooldownMs?: number;
    /**
     * The JWKS is fetched again when older than this: how long a key removed from it (retired) still verifies here.
     * @default 600000
     */
    jwksCacheMaxAgeMs?: number;
    /**
     * How long one JWKS request may take.
     * @default 5000
     */
    jwksTimeoutMs?: number;
  };
  /**
   * External OpenID Providers whose access tokens open sockets (the `@app/oidc` trusted issuer entry: `name`, `issuer`,
   * `audience`, optional `jwksUri` (else discovered at `<issuer>/.well-known/openid-configuration` at start),
   * `algorithms` (default RS256 and ES256; EdDSA allowed; never `none` or HS*), `claims` (`userId` default `sub`,
   * `sessionId` default `sid`, `roles` a dotted path), `clockSkewSeconds` (default 30), `maxTokenLifetimeSeconds`
   * (default 3600)). A token is routed by its `iss` to one of these or to `accessTokens`; its session is alive unless its
   * end is recorded in Redis (a back-channel logout). An entry's `issuer` must differ from `accessTokens.issuer`.
   * @default [] (none)
   */
  oidcIssuers?: readonly TrustedIssuerInput[];
  /**
   * How the external issuers' keys (JWKS) are loaded: the same meaning as `accessTokens.jwksWaitMs`, `jwksCooldownMs`,
   * `jwksCacheMaxAgeMs` and `jwksTimeoutMs`, for every `oidcIssuers` entry (discovery included in `waitMs` and
   * `timeoutMs`).
   * @default { waitMs: 30000, cooldownMs: 30000, cacheMaxAgeMs: 600000, timeoutMs: 5000 }
   */
  oidcKeys?: { waitMs?: number; cooldownMs?: number; cacheMaxAgeMs?: number; timeoutMs?: number };
  /**
   * The auth service's session cookie name; set it to accept the cookie as a credential.
   * @default undefined (cookie carrier off)
   */
  cookieName?: string;
  /**
   * Accept the access token in the `?token=` query parameter (URLs end up in proxy logs: off unless needed).
   * @default false
   */
  allowQueryToken?: boolean;
  /**
   * Which proxies' `X-Forwarded-For` is believed for the per-IP handshake limit (proxy-addr syntax: addresses,
   * CIDRs, `loopback`, `linklocal`, `uniquelocal`; a string may list several, comma-separated).
   * @default 'loopback'
   */
  trustProxy?: string | readonly string[];
  /**
   * Handshakes per client address per window; more are refused with `RATE_LIMITED`.
   * @default { perIp: 120, windowSeconds: 10 }
   */
  handshakeRateLimit?: { perIp: number; windowSeconds: number };
  /**
   * Sockets per user across every node. At the limit, `reject_new` refuses the handshake with
   * `TOO_MANY_CONNECTIONS`; `evict_oldest` ends the user's oldest sockets (`session:ended {reason: 'evicted'}`).
   * @default { perUser: 0 (unlimited), policy: 'reject_new' }
   */
  connectionLimit?: { perUser: number; policy: 'reject_new' | 'evict_oldest' };
  /**
   * A session unused for this long ends; must equal the auth service's `SESSION_IDLE_TTL` (every handshake slides it).
   * @default 43200
   */
  sessionIdleTimeoutSeconds?: number;
  /**
   * `auth:expiring` is sent this long before a socket's credential expires.
   * @default 30
   */
  expiryWarningSeconds?: number;
  /**
   * How often every live socket's session is re-checked (messages lost while the subscriber was away) and this node's
   * registry entries reconciled with its sockets.
   * @default 30
   */
  recheckIntervalSeconds?: number;
  /**
   * This node's heartbeat in the registry, and the sweep of dead nodes' entries.
   * @default { heartbeatIntervalSeconds: 5, heartbeatTtlSeconds: 15, sweepIntervalSeconds: 10 }
   */
  presence?: {
    /** @default 5 */
    heartbeatIntervalSeconds?: number;
    /** Must be longer than the interval, or live nodes get swept. @default 15 */
    heartbeatTtlSeconds?: number;
    /** @default 10 */
    sweepIntervalSeconds?: number;
  };
  /**
   * `drain()` closes the sockets in batches spread over this window, so clients do not stampede the other nodes.
   * @default 10
   */
  drainWindowSeconds?: number;
  /**
   * Register the gateway metrics (`sessionwire_gateway_*`: handshakes and their duration, logout propagation,
   * connected sockets, forced disconnects, the re-check's passes and closes, the subscriber's state) on this
   * prom-client registry.
   * @default undefined (no metrics registered)
   */
  metrics?: { registry: MetricsRegistry };
  /**
   * Where sessionwire logs (pino-compatible: `logger.warn(object, message)` or `logger.warn(message)`).
   * @default console, warnings and errors only
   */
  logger?: SessionwireLogger;
}

/** How one issuer's JWKS is loaded and refetched. */
export interface JwksTiming {
  waitMs: number;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  timeoutMs: number;
}

/** The options with every default applied and every duration in milliseconds. */
export interface ResolvedOptions {
  nodeId: string;
  allowedOrigins: readonly string[];
  /** The auth service's JWKS; undefined when `accessTokens` is not set. */
  jwks: ({ url: string } & JwksTiming) | undefined;
  accessTokens: { issuer: string; audience: string } | undefined;
  oidcIssuers: TrustedIssuer[];
  oidcKeys: JwksTiming;
  cookieName: string | undefined;
  allowQueryToken: boolean;
  trustProxy: string[];
  handshakeRateLimit: { perIp: number; windowSeconds: number };
  connectionLimit: { perUser: number; policy: 'reject_new' | 'evict_oldest' };
  sessionIdleTimeoutSeconds: number;
  expiryWarningMs: number;
  recheckIntervalMs: number;
  presence: { heartbeatIntervalMs: number; heartbeatTtlMs: number; sweepIntervalMs: number };
  drainWindowMs: number;
}

const positiveInt = z.number().int().positive();
const seconds = z.number().positive().finite();

function isRedisInstance(value: unknown): value is Redis | Cluster {
  return typeof value === 'object' && value !== null && typeof (value as { duplicate?: unknown }).duplicate === 'function';
}

const optionsSchema = z
  .object({
    redis: z.union([
      z.string().regex(/^rediss?:\/\/./, 'expected a redis:// or rediss:// URL'),
      z.custom<Redis | Cluster>(isRedisInstance),
      z.record(z.string(), z.unknown()),
    ], { error: 'expected a redis:// URL, ioredis options, or an ioredis Redis or Cluster client' }),
    nodeId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 of A-Z a-z 0-9 _ . -').optional(),
    allowedOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'expected an origin such as https://app.example.com (scheme and host, no path)')),
    accessTokens: z
      .object({
        jwksUrl: z.url({ protocol: /^https?$/ }),
        issuer: z.string().min(1),
        audience: z.string().min(1),
        jwksWaitMs: positiveInt.optional(),
        jwksCooldownMs: positiveInt.optional(),
        jwksCacheMaxAgeMs: positiveInt.optional(),
        jwksTimeoutMs: positiveInt.optional(),
      })
      .optional(),
    oidcIssuers: trustedIssuersSchema.optional(),
    oidcKeys: z
      .object({ waitMs: positiveInt.optional(), cooldownMs: positiveInt.optional(), cacheMaxAgeMs: positiveInt.optional(), timeoutMs: positiveInt.optional() })
      .optional(),
    cookieName: z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a cookie name').optional(),
    allowQueryToken: z.boolean().optional(),
    trustProxy: z.union([z.string(), z.array(z.string())]).optional(),
    handshakeRateLimit: z.object({ perIp: positiveInt, windowSeconds: positiveInt }).optional(),
    connectionLimit: z.object({ perUser: z.number().int().min(0), policy: z.enum(['reject_new', 'evict_oldest']) }).optional(),
    sessionIdleTimeoutSeconds: positiveInt.optional(),
    expiryWarningSeconds: positiveInt.optional(),
    recheckIntervalSeconds: seconds.optional(),
    presence: z
      .object({ heartbeatIntervalSeconds: seconds.optional(), heartbeatTtlSeconds: seconds.optional(), sweepIntervalSeconds: seconds.optional() })
      .optional(),
    drainWindowSeconds: z.number().min(0).finite().optional(),
    metrics: z
      .object({
        registry: z.custom<MetricsRegistry>(
          (value) => typeof value === 'object' && value !== null && typeof (value as MetricsRegistry).registerMetric === 'function',
          'expected a prom-client Registry',
        ),
      })
      .optional(),
    logger: z
      .custom<SessionwireLogger>(
        (value) => typeof value === 'object' && value !== null && ['info', 'warn', 'error'].every((level) => typeof (value as Record<string, unknown>)[level] === 'function'),
        'expected an object with info, warn and error methods',
      )
      .optional(),
  })
  .refine((options) => (options.presence?.heartbeatTtlSeconds ?? 15) > (options.presence?.heartbeatIntervalSeconds ?? 5), {
    path: ['presence', 'heartbeatTtlSeconds'],
    message: 'must be longer than presence.heartbeatIntervalSeconds, or live nodes get swept',
  })
  .refine((options) => options.accessTokens !== undefined || (options.oidcIssuers ?? []).length > 0, {
    path: ['accessTokens'],
    message: 'set accessTokens, oidcIssuers, or both: no token could be accepted',
  })
  .refine((options) => options.cookieName === undefined || options.accessTokens !== undefined, {
    path: ['cookieName'],
    message: "the cookie is the auth service's: set accessTokens too",
  })
  .superRefine((options, context) => {
    // Tokens are routed by `iss`: one issuer cannot be both ours (sessions in Redis) and an external one.
    (options.oidcIssuers ?? []).forEach((entry, index) => {
      if (entry.issuer === options.accessTokens?.issuer) context.addIssue({ code: 'custom', path: ['oidcIssuers', index, 'issuer'], message: 'is accessTokens.issuer' });
    });
  });

/** Validates the options (throwing `InvalidSessionwireOptionsError` naming each bad one) and applies the defaults. */
export function resolveOptions(options: SessionwireOptions): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new InvalidSessionwireOptionsError(parsed.error.issues.map((issue) => ({ option: issue.path.join('.') || '(options)', problem: issue.message })));
  }
  const valid = parsed.data;
  const trustProxy = typeof valid.trustProxy === 'string' ? valid.trustProxy.split(',') : (valid.trustProxy ?? ['loopback']);
  return {
    nodeId: valid.nodeId ?? `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64),
    allowedOrigins: [...valid.allowedOrigins],
    jwks: valid.accessTokens && {
      url: valid.accessTokens.jwksUrl,
      waitMs: valid.accessTokens.jwksWaitMs ?? 30_000,
      cooldownMs: valid.accessTokens.jwksCooldownMs ?? 30_000,
      cacheMaxAgeMs: valid.accessTokens.jwksCacheMaxAgeMs ?? 600_000,
      timeoutMs: valid.accessTokens.jwksTimeoutMs ?? 5000,
    },
    accessTokens: valid.accessTokens && { issuer: valid.accessTokens.issuer, audience: valid.accessTokens.audience },
    oidcIssuers: valid.oidcIssuers ?? [],
    oidcKeys: {
      waitMs: valid.oidcKeys?.waitMs ?? 30_000,
      cooldownMs: valid.oidcKeys?.cooldownMs ?? 30_000,
      cacheMaxAgeMs: valid.oidcKeys?.cacheMaxAgeMs ?? 600_000,
      timeoutMs: valid.oidcKeys?.timeoutMs ?? 5000,
    },
    cookieName: valid.cookieName,
    allowQueryToken: valid.allowQueryToken ?? false,
    trustProxy: trustProxy.map((entry) => entry.trim()).filter(Boolean),
    handshakeRateLimit: valid.handshakeRateLimit ?? { perIp: 120, windowSeconds: 10 },
    connectionLimit: valid.connectionLimit ?? { perUser: 0, policy: 'reject_new' },
    sessionIdleTimeoutSeconds: valid.sessionIdleTimeoutSeconds ?? 43_200,
    expiryWarningMs: (valid.expiryWarningSeconds ?? 30) * 1000,
    recheckIntervalMs: (valid.recheckIntervalSeconds ?? 30) * 1000,
    presence: {
      heartbeatIntervalMs: (valid.presence?.heartbeatIntervalSeconds ?? 5) * 1000,
      heartbeatTtlMs: (valid.presence?.heartbeatTtlSeconds ?? 15) * 1000,
      sweepIntervalMs: (valid.presence?.sweepIntervalSeconds ?? 10) * 1000,
    },
    drainWindowMs: (valid.drainWindowSeconds ?? 10) * 1000,
  };
}

export { isRedisInstance };
