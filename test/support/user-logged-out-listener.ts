import { parseUserLoggedOut, USER_LOGGED_OUT_CHANNEL, type UserLoggedOut } from '@app/contracts';
import { Redis } from 'ioredis';

/** A real Redis subscriber on `user-logged-out`, as a gateway would have; hands out messages in order. */
export class UserLoggedOutListener {
  private readonly received: UserLoggedOut[] = [];
  private readonly raw: string[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly subscriber: Redis) {
    subscriber.on('message', (_channel: string, payload: string) => {
      this.raw.push(payload);
      const parsed = parseUserLoggedOut(payload);
      if (parsed.ok) this.received.push(parsed.message);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async start(redisUrl: string): Promise<UserLoggedOutListener> {
    const subscriber = new Redis(redisUrl, { lazyConnect: true });
    await subscriber.connect();
    await subscriber.subscribe(USER_LOGGED_OUT_CHANNEL);
    return new UserLoggedOutListener(subscriber);
  }

  /** Resolves with the next message matching `predicate` (already received ones included). */
  async next(predicate: (message: UserLoggedOut) => boolean, timeoutMs = 5000): Promise<UserLoggedOut> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex(predicate);
      if (index >= 0) return this.received.splice(index, 1)[0];
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no matching user-logged-out message within ${timeoutMs} ms; raw: ${this.raw.join(' | ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Every raw payload seen so far, valid or not. */
  payloads(): readonly string[] {
    return this.raw;
  }

  async close(): Promise<void> {
    await this.subscriber.quit();
  }
}
