import { hostname } from 'node:os';
import { registerAs, type ConfigType } from '@nestjs/config';
import { env, parseEnvironment, sharedEnvSchema, toSharedConfig, type Environment } from '@app/config';
import { trustedIssuersSchema } from '@app/oidc';
import { z } from 'zod';


const gatewayEnvSchema = sharedEnvSchema.extend({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: env.port(3001),
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 of A-Z a-z 0-9 _ . -')
    .default(hostname().slice(0, 64)),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3000/.well-known/jwks.json'),
  JWKS_WAIT_MS: env.positiveInt(30_000),
  JWKS_COOLDOWN_MS: env.positiveInt(30_000),
  JWKS_MAX_AGE_MS: env.positiveInt(600_000),
  ALLOW_QUERY_TOKEN: env.boolean(false),
  RECHECK_INTERVAL: env.positiveInt(30),
  HEARTBEAT_INTERVAL: env.positiveInt(5),
  HEARTBEAT_TTL: env.positiveInt(15),
  SWEEP_INTERVAL: env.positiveInt(10),
  MAX_MESSAGE_BYTES: env.positiveInt(16_384),
  HANDSHAKE_LIMIT_PER_IP: env.positiveInt(120),
  HANDSHAKE_LIMIT_WINDOW: env.positiveInt(10),
  SESSION_DATA_MAX_VALUE_BYTES: env.positiveInt(1024),
  SESSION_DATA_MAX_KEYS: env.positiveInt(32),
  AUTH_EXPIRY_WARNING: env.positiveInt(30),
  MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(0).default(0),
  CONNECTION_LIMIT_POLICY: z.enum(['reject_new', 'evict_oldest']).default('reject_new'),
  EVENTS_PER_SECOND: env.positiveInt(20),
  EVENT_BURST: env.positiveInt(40),
  PING_INTERVAL: env.positiveInt(25),
  PING_TIMEOUT: env.positiveInt(20),
  DRAIN_WINDOW: z.coerce.number().min(0).default(10),
  OIDC_ISSUERS: env.json(trustedIssuersSchema, '[]'),
}).refine((vars) => vars.HEARTBEAT_TTL > vars.HEARTBEAT_INTERVAL, {
  path: ['HEARTBEAT_TTL'],
  message: 'must be longer than HEARTBEAT_INTERVAL, or live nodes get swept',
});

/** Reads a gateway node's configuration from `env`; throws `InvalidConfigError` naming each bad variable. */
export function loadGatewayConfig(environment: Environment) {
  const vars = parseEnvironment(gatewayEnvSchema, environment);
  const shared = toSharedConfig(vars);
  return {
    ...shared,
    http: { host: vars.HOST, port: vars.PORT },
    nodeId: vars.NODE_ID,
    /**
     * The session layer (@sessionwire/nest), except the connections and registries the app module hands it: the
     * Redis command connection, the metrics registry.
     */
    sessionwire: {
      nodeId: vars.NODE_ID,
      allowedOrigins: shared.allowedOrigins,
      accessTokens: {
        jwksUrl: vars.AUTH_JWKS_URL,
        jwksWaitMs: vars.JWKS_WAIT_MS,
        jwksCooldownMs: vars.JWKS_COOLDOWN_MS,
        jwksCacheMaxAgeMs: vars.JWKS_MAX_AGE_MS,
        ...shared.accessTokens,
      },
      /** External OpenID Providers whose access tokens open sockets; their keys load with the JWKS_* timings. */
      oidcIssuers: vars.OIDC_ISSUERS,
      oidcKeys: { waitMs: vars.JWKS_WAIT_MS, cooldownMs: vars.JWKS_COOLDOWN_MS, cacheMaxAgeMs: vars.JWKS_MAX_AGE_MS },
      cookieName: shared.cookie.name,
      /** `?token=` in the URL: off by default, URLs end up in proxy logs. */
      allowQueryToken: vars.ALLOW_QUERY_TOKEN,
      trustProxy: shared.trustProxy.split(',').map((entry) => entry.trim()),
      handshakeRateLimit: { perIp: vars.HANDSHAKE_LIMIT_PER_IP, windowSeconds: vars.HANDSHAKE_LIMIT_WINDOW },
      /** Sockets per user across the whole cluster; 0 = unlimited. */
      connectionLimit: { perUser: vars.MAX_CONNECTIONS_PER_USER, policy: vars.CONNECTION_LIMIT_POLICY },
      sessionIdleTimeoutSeconds: shared.sessions.idleTtlSeconds,
      /** `auth:expiring` is sent this long before the credential expires. */
      expiryWarningSeconds: vars.AUTH_EXPIRY_WARNING,
      recheckIntervalSeconds: vars.RECHECK_INTERVAL,
      presence: { heartbeatIntervalSeconds: vars.HEARTBEAT_INTERVAL, heartbeatTtlSeconds: vars.HEARTBEAT_TTL, sweepIntervalSeconds: vars.SWEEP_INTERVAL },
      /** On SIGTERM, sockets are closed in batches spread over this window, so clients do not stampede the other nodes. */
      drainWindowSeconds: vars.DRAIN_WINDOW,
    },
    maxMessageBytes: vars.MAX_MESSAGE_BYTES,
    sessionData: { maxValueBytes: vars.SESSION_DATA_MAX_VALUE_BYTES, maxKeys: vars.SESSION_DATA_MAX_KEYS },
    /** Token bucket per socket: sustained events per second and burst; a socket that keeps flooding is dropped. */
    eventRate: { perSecond: vars.EVENTS_PER_SECOND, burst: vars.EVENT_BURST },
    ping: { intervalMs: vars.PING_INTERVAL * 1000, timeoutMs: vars.PING_TIMEOUT * 1000 },
  };
}

// The only place a gateway reads process.env.
export const gatewayConfig = registerAs('gateway', () => loadGatewayConfig(process.env));
export type GatewayConfig = ConfigType<typeof gatewayConfig>;
