export { env } from './env-schemas';
export { InvalidConfigError } from './invalid-config.error';
export { parseEnvironment, type Environment } from './parse-environment';
export {
  sharedEnvSchema,
  toSharedConfig,
  type AccessTokenVerificationConfig,
  type RedisConfig,
  type RedisNodeAddress,
  type RedisTopology,
  type SessionCookieConfig,
  type SessionLifetimeConfig,
  type SharedConfig,
  type SharedEnv,
} from './shared-config';
