import { cpuDelta, usageOf } from '../lib/observe.mjs';
import { registerUsers } from '../lib/sessions.mjs';

/** The auth service's defaults (apps/auth/src/config/auth.config.ts), reported with the result. */
const DEFAULT_ARGON2 = { memoryKiB: 19_456, timeCost: 2, parallelism: 1 };

/**
 * Scenario 5: logins per second (argon2id with the default parameters: this auth process gets no ARGON2_*
 * variables) and refreshes per second, N concurrent HTTP clients from a load process, each its own user.
 */
export async function authThroughput(ctx) {
  const { sizes, load } = ctx;
  const auth = await ctx.services.startAuth('auth-default-argon2', { redisUrl: ctx.redis.url });
  try {
    ctx.log(`auth: registering ${sizes.authConcurrency} users with the default argon2 cost`);
    const users = await registerUsers(auth.url, 'argon-default', sizes.authConcurrency);
    const [worker] = load.ensure(1);
    const results = {};
    for (const kind of ['login', 'refresh']) {
      ctx.log(`auth: ${kind}, ${sizes.authConcurrency} concurrent clients for ${sizes.authDurationMs / 1000} s`);
      const before = await usageOf({ auth, redis: ctx.redis });
      const result = await worker.call('httpLoad', { kind, authUrl: auth.url, users, concurrency: sizes.authConcurrency, durationMs: sizes.authDurationMs });
      const cpu = cpuDelta(before, await usageOf({ auth, redis: ctx.redis }));
      results[kind] = { ...result, cpuMsPerRequest: { auth: cpu.auth / result.ok, redis: cpu.redis / result.ok } };
    }
    return {
      method: `${sizes.authConcurrency} concurrent clients (one user each) for ${sizes.authDurationMs / 1000} s per kind, HTTP keep-alive, one load process; auth service with no ARGON2_* set.`,
      argon2: DEFAULT_ARGON2,
      concurrency: sizes.authConcurrency,
      login: results.login,
      refresh: results.refresh,
    };
  } finally {
    await ctx.services.stop(auth);
  }
}
