import { z } from 'zod';
import { env } from './env-schemas';

/** Variables both apps read, with the typed sections they produce. */
export const sharedEnvSchema = z.object({
  REDIS_URL: env.redisUrl(),
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

export interface RedisConfig {
  url: string;
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

export function toSharedConfig(vars: SharedEnv): SharedConfig {
  return {
    redis: { url: vars.REDIS_URL, commandTimeoutMs: vars.REDIS_COMMAND_TIMEOUT_MS },
    logLevel: vars.LOG_LEVEL,
    trustProxy: vars.TRUST_PROXY,
    allowedOrigins: vars.ALLOWED_ORIGINS,
    accessTokens: { issuer: vars.JWT_ISSUER, audience: vars.JWT_AUDIENCE },
    cookie: { secure: vars.COOKIE_SECURE, name: vars.COOKIE_SECURE ? '__Host-sid' : 'sid' },
    sessions: { idleTtlSeconds: vars.SESSION_IDLE_TTL, absoluteTtlSeconds: vars.SESSION_ABSOLUTE_TTL },
  };
}
