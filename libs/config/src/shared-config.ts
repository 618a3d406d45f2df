import { z } from 'zod';
import { env } from './env-schemas';
import { InvalidConfigError } from './invalid-config.error';

/** Variables both apps read, with the typed sections they produce. */
export const sharedEnvSchema = z.object({
  REDIS_TOPOLOGY: z.enum(['standalone', 'sentinel', 'cluster']).default('standalone'),
  REDIS_URL: env.redisUrl(),
  REDIS_CLUSTER_NODES: env.hostPorts(),
  REDIS_SENTINELS: env.hostPorts(),
  REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster'),
  REDIS_COMMAND_TIMEOUT_MS: env.positiveInt(2000),
  LOG_LEVEL: env.logLevel(),
  TRUST_PROXY: env.trustProxy(),
  ALLOWED_ORIGINS: env.origins('http://localhost:8080,http://127.0.0.1:8080'),
  JWT_ISSUER: z.string().min(1).default('sessionwire-auth'),
  JWT_AUDIENCE: z.string().min(1).default('sessionwire'),
  COOKIE_SECURE: env.boolean(true),
  SESSION_IDLE_TTL: env.positiveInt(43_200),
  SESSION_ABSOLUTE_TTL: env.positiveInt(604_800),
});

export type SharedEnv = z.infer<typeof sharedEnvSchema>;

export interface RedisNodeAddress {
  host: string;
  port: number;
}

export type RedisTopology = 'standalone' | 'sentinel' | 'cluster';

export interface RedisConfig {
  /**
   * `standalone`: one Redis at `url`. `sentinel`: the master named `sentinelName`, found through `sentinels`.
   * `cluster`: a Redis Cluster discovered from `clusterNodes`.
   * @default 'standalone'
   */
  topology: RedisTopology;
  /**
   * The standalone Redis. With the other topologies only its credentials (`redis://user:password@…`) and
   * scheme (`rediss://` for TLS) are used, for every node.
   */
  url: string;
  /** Seed nodes of the cluster (any subset of its nodes; the rest are discovered). */
  clusterNodes: RedisNodeAddress[];
  /** Sentinel addresses. */
  sentinels: RedisNodeAddress[];
  /** The master's name in Sentinel's configuration. @default 'mymaster' */
  sentinelName: string;
  /** A command not answered within this time fails, so a hung Redis surfaces as 503 instead of a stalled request. */
  commandTimeoutMs: number;
}

export interface AccessTokenVerificationConfig {
  issuer: string;
  audience: string;
}

export interface SessionCookieConfig {
  /** `__Host-sid` when secure; plain `sid` for http://localhost development, where browsers drop `__Host-` cookies. */
  name: string;
  secure: boolean;
}

export interface SessionLifetimeConfig {
  /** A session unused for this long ends (seconds). */
  idleTtlSeconds: number;
  /** A session ends this long after login, however active (seconds). */
  absoluteTtlSeconds: number;
}

export interface SharedConfig {
  redis: RedisConfig;
  logLevel: SharedEnv['LOG_LEVEL'];
  trustProxy: string;
  allowedOrigins: string[];
  accessTokens: AccessTokenVerificationConfig;
  cookie: SessionCookieConfig;
  sessions: SessionLifetimeConfig;
}

/** The topology's own variables must be set (zod refinements would stop the apps from extending the schema). */
function toRedisConfig(vars: SharedEnv): RedisConfig {
  if (vars.REDIS_TOPOLOGY === 'cluster' && vars.REDIS_CLUSTER_NODES.length === 0) {
    throw new InvalidConfigError(['REDIS_CLUSTER_NODES: required with REDIS_TOPOLOGY=cluster (host:port of one or more cluster nodes)']);
  }
  if (vars.REDIS_TOPOLOGY === 'sentinel' && vars.REDIS_SENTINELS.length === 0) {
    throw new InvalidConfigError(['REDIS_SENTINELS: required with REDIS_TOPOLOGY=sentinel (host:port of one or more sentinels)']);
  }
  return {
    topology: vars.REDIS_TOPOLOGY,
    url: vars.REDIS_URL,
    clusterNodes: vars.REDIS_CLUSTER_NODES,
    sentinels: vars.REDIS_SENTINELS,
    sentinelName: vars.REDIS_SENTINEL_NAME,
    commandTimeoutMs: vars.REDIS_COMMAND_TIMEOUT_MS,
  };
}

export function toSharedConfig(vars: SharedEnv): SharedConfig {
  return {
    redis: toRedisConfig(vars),
    logLevel: vars.LOG_LEVEL,
    trustProxy: vars.TRUST_PROXY,
    allowedOrigins: vars.ALLOWED_ORIGINS,
    accessTokens: { issuer: vars.JWT_ISSUER, audience: vars.JWT_AUDIENCE },
    cookie: { secure: vars.COOKIE_SECURE, name: vars.COOKIE_SECURE ? '__Host-sid' : 'sid' },
    sessions: { idleTtlSeconds: vars.SESSION_IDLE_TTL, absoluteTtlSeconds: vars.SESSION_ABSOLUTE_TTL },
  };
}
