import { registerAs, type ConfigType } from '@nestjs/config';
import { env, parseEnvironment, sharedEnvSchema, toSharedConfig, type Environment } from '@app/config';
import { passwordSchema, usernameSchema } from '@app/contracts';
import { trustedIssuersSchema } from '@app/oidc';
import { z } from 'zod';

/** A replay of the previous refresh token answered with the current one instead of ending the session: keep it short. */
const MAX_REFRESH_REUSE_GRACE_SECONDS = 300;

/** A size as body-parser reads it: `16kb`, `1mb`, `512b`. */
const SIZE = /^(\d+)(b|kb|mb)$/i;

const authEnvSchema = sharedEnvSchema.extend({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: env.port(3000),
  BODY_LIMIT: z.string().regex(SIZE, 'expected a size such as 16kb').default('16kb'),
  ACCESS_TOKEN_TTL: env.positiveInt(900),
  SIGNING_KEY_FILE: z.string().optional(),
  SIGNING_KEY: z.string().optional(),
  SIGNING_KEY_NEXT_FILE: z.string().min(1).optional(),
  SIGNING_KEY_PREVIOUS_FILE: z.string().min(1).optional(),
  DEV_SIGNING_KEY_FILE: z.string().default('.data/keys/access-token-es256.pem'),
  ALLOW_DEV_SIGNING_KEY: env.boolean(true),
  ADMIN_USERNAME: usernameSchema.default('admin'),
  ADMIN_PASSWORD: passwordSchema.optional(),
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(8192).default(19_456),
  ARGON2_TIME_COST: z.coerce.number().int().min(1).default(2),
  ARGON2_PARALLELISM: z.coerce.number().int().min(1).default(1),
  REVOKE_CONFIRM_DEADLINE_MS: env.positiveInt(2000),
  REFRESH_REUSE_GRACE: z.coerce.number().int().min(0).max(MAX_REFRESH_REUSE_GRACE_SECONDS).default(30),
  LOGIN_LIMIT_WINDOW: env.positiveInt(900),
  LOGIN_LIMIT_PER_IP: env.positiveInt(100),
  LOGIN_LIMIT_PER_USERNAME: env.positiveInt(10),
  LOGIN_LIMIT_USERNAME_CEILING: env.positiveInt(100),
  LOGIN_LIMIT_USERNAME_CEILING_WINDOW: env.positiveInt(3600),
  LOGIN_KNOWN_ADDRESS_TTL: env.positiveInt(2_592_000),
  OIDC_ISSUERS: env.json(trustedIssuersSchema, '[]'),
}).superRefine((vars, context) => {
  const oneClient = maxFailuresOfOneClient(vars);
  if (vars.LOGIN_LIMIT_USERNAME_CEILING > oneClient) return;
  context.addIssue({
    code: 'custom',
    path: ['LOGIN_LIMIT_USERNAME_CEILING'],
    message:
      `must be greater than ${oneClient}, the failures one client can make within one ceiling window ` +
      `(LOGIN_LIMIT_PER_USERNAME × (⌈LOGIN_LIMIT_USERNAME_CEILING_WINDOW / LOGIN_LIMIT_WINDOW⌉ + 1) = ` +
      `${vars.LOGIN_LIMIT_PER_USERNAME} × (⌈${vars.LOGIN_LIMIT_USERNAME_CEILING_WINDOW} / ${vars.LOGIN_LIMIT_WINDOW}⌉ + 1)); ` +
      'otherwise one client alone can lock the account out of every new address',
  });
});

/**
 * The most failures one client (one per-(username, IP) bucket) can make within one ceiling window: its own window
 * restarts at most ⌈ceiling window / window⌉ times inside it, and the window open when it starts counts too.
 */
function maxFailuresOfOneClient(vars: { LOGIN_LIMIT_PER_USERNAME: number; LOGIN_LIMIT_WINDOW: number; LOGIN_LIMIT_USERNAME_CEILING_WINDOW: number }): number {
  return vars.LOGIN_LIMIT_PER_USERNAME * (Math.ceil(vars.LOGIN_LIMIT_USERNAME_CEILING_WINDOW / vars.LOGIN_LIMIT_WINDOW) + 1);
}

/** `16kb` → 16384, as body-parser reads BODY_LIMIT (k = 1024). */
function bytesOf(size: string): number {
  const [, amount, unit] = SIZE.exec(size) as RegExpExecArray;
  return Number(amount) * { b: 1, kb: 1024, mb: 1024 * 1024 }[unit.toLowerCase() as 'b' | 'kb' | 'mb'];
}

/** Reads the auth service's configuration from `env`; throws `InvalidConfigError` naming each bad variable. */
export function loadAuthConfig(environment: Environment) {
  const vars = parseEnvironment(authEnvSchema, environment);
  const shared = toSharedConfig(vars);
  return {
    ...shared,
    /** Only the auth service rotates refresh tokens, so only it sets the reuse grace window. */
    sessions: { ...shared.sessions, refreshReuseGraceSeconds: vars.REFRESH_REUSE_GRACE },
    http: { host: vars.HOST, port: vars.PORT, bodyLimit: vars.BODY_LIMIT, bodyLimitBytes: bytesOf(vars.BODY_LIMIT) },
    accessTokenTtlSeconds: vars.ACCESS_TOKEN_TTL,
    /** The signing key, and the keys published beside it during a rotation; the files are read again on SIGHUP. */
    signingKeys: {
      current: {
        file: vars.SIGNING_KEY_FILE,
        pem: vars.SIGNING_KEY,
        generatedFile: vars.ALLOW_DEV_SIGNING_KEY ? vars.DEV_SIGNING_KEY_FILE : undefined,
      },
      nextFile: vars.SIGNING_KEY_NEXT_FILE,
      previousFile: vars.SIGNING_KEY_PREVIOUS_FILE,
    },
    admin: { username: vars.ADMIN_USERNAME, password: vars.ADMIN_PASSWORD },
    /** How long a confirmed revocation waits for every live gateway's acknowledgement. */
    revocationConfirmDeadlineMs: vars.REVOKE_CONFIRM_DEADLINE_MS,
    /** argon2id; defaults are OWASP's minimum (m=19 MiB, t=2, p=1). */
    passwordHashing: { memoryCost: vars.ARGON2_MEMORY_KIB, timeCost: vars.ARGON2_TIME_COST, parallelism: vars.ARGON2_PARALLELISM },
    /** See `LoginLimiter`. */
    loginLimits: {
      /** The window of the per-IP and per-(username, IP) limits. */
      windowSeconds: vars.LOGIN_LIMIT_WINDOW,
      attemptsPerIp: vars.LOGIN_LIMIT_PER_IP,
      failuresPerUsernameAndIp: vars.LOGIN_LIMIT_PER_USERNAME,
      /** Failures per username from all addresses together. */
      usernameCeiling: { failures: vars.LOGIN_LIMIT_USERNAME_CEILING, windowSeconds: vars.LOGIN_LIMIT_USERNAME_CEILING_WINDOW },
      /** How long after a successful login its address is spared the ceiling. */
      knownAddressTtlSeconds: vars.LOGIN_KNOWN_ADDRESS_TTL,
    },
    /** External OpenID Providers; those with a `clientId` may send back-channel logout tokens (`/oidc/backchannel-logout`). */
    oidcIssuers: vars.OIDC_ISSUERS,
  };
}

// The only place the auth service reads process.env.
export const authConfig = registerAs('auth', () => loadAuthConfig(process.env));
export type AuthConfig = ConfigType<typeof authConfig>;
