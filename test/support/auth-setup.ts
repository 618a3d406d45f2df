import { Redis } from 'ioredis';
import { startAuthApp, type AuthApp, type AuthAppOptions } from './auth-app';
import { startRedisServer, type RedisServer } from './redis-server';
import { UserLoggedOutListener } from './user-logged-out-listener';

export interface AuthSetupOptions {
  /** The auth app's environment beyond `TEST_AUTH_ENV` and `REDIS_URL`. */
  env?: Record<string, string>;
  app?: AuthAppOptions;
  /** Also subscribe to `user-logged-out`, as a gateway would (`listener`). @default false */
  listen?: boolean;
}

/** What `setupAuth` started, and the one call that stops all of it. */
export interface AuthSetup {
  redis: RedisServer;
  auth: AuthApp;
  /** A plain client on the same Redis, to look at (or change) what the app keeps there; connected on first use. */
  readonly inspector: Redis;
  /** Stops everything, the last started first. */
  cleanup(): Promise<void>;
}

/**
 * A suite's real redis-server and the in-process auth app on it (plus, on request, a `user-logged-out` subscriber).
 * If a step fails, what was already started is stopped before the error is passed on.
 */
export async function setupAuth(options: AuthSetupOptions & { listen: true }): Promise<AuthSetup & { listener: UserLoggedOutListener }>;
export async function setupAuth(options?: AuthSetupOptions): Promise<AuthSetup>;
export async function setupAuth(options: AuthSetupOptions = {}): Promise<AuthSetup & { listener?: UserLoggedOutListener }> {
  const stops: Array<() => Promise<unknown>> = [];
  const cleanup = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const redis = await startRedisServer();
    stops.push(() => redis.cleanup());
    const auth = await startAuthApp(redis.url, options.env, options.app);
    stops.push(() => auth.close());
    const listener = options.listen ? await UserLoggedOutListener.start(redis.url) : undefined;
    if (listener) stops.push(() => listener.close());
    let inspector: Redis | undefined;
    return {
      redis,
      auth,
      listener,
      get inspector() {
        if (!inspector) {
          const client = new Redis(redis.url);
          stops.push(() => client.quit());
          inspector = client;
        }
        return inspector;
      },
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
