import { parseUserLoggedOut, USER_LOGGED_OUT_CHANNEL, type AnyUserLoggedOut, type ExternalUserLoggedOut, type UserLoggedOut } from '@app/contracts';
import { Redis } from 'ioredis';

/** A real Redis subscriber on `user-logged-out`, as a gateway would have; hands out messages in order. */
export class UserLoggedOutListener {
  private readonly received: AnyUserLoggedOut[] = [];
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

  /** Resolves with the next version 1 message (a session of the auth service) matching `predicate` (already received ones included). */
  next(predicate: (message: UserLoggedOut) => boolean, timeoutMs = 5000): Promise<UserLoggedOut> {
    return this.nextOf((message): message is UserLoggedOut => message.v === 1 && predicate(message), timeoutMs);
  }

  /** Resolves with the next version 2 message (a session of an external provider) matching `predicate`. */
  nextExternal(predicate: (message: ExternalUserLoggedOut) => boolean, timeoutMs = 5000): Promise<ExternalUserLoggedOut> {
    return this.nextOf((message): message is ExternalUserLoggedOut => message.v === 2 && predicate(message), timeoutMs);
  }

  private async nextOf<Message extends AnyUserLoggedOut>(predicate: (message: AnyUserLoggedOut) => message is Message, timeoutMs: number): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex(predicate);
      if (index >= 0) return this.received.splice(index, 1)[0] as Message;
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
