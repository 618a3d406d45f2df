import type { RedisClient } from './redis-client';
import { closeRedis, connectRedis } from './redis-connection';

/** A channel payload read as a typed message, or why it could not be. */
export type ChannelParseResult<Message> = { ok: true; message: Message } | { ok: false; error: string };

export interface ChannelSubscriptionOptions<Message> {
  /** A connection of its own, not connected yet (`lazyConnect`); the subscription connects it and closes it. */
  connection: RedisClient;
  channel: string;
  /** Where `connection` goes, for the error when it cannot be reached (no credentials). */
  description: string;
  /** Reads a payload; must not throw (a malformed message must not take the subscriber down). */
  parse: (payload: string) => ChannelParseResult<Message>;
  onMessage: (message: Message) => void;
  /** A payload `parse` refused. */
  onInvalid?: (error: string, payload: string) => void;
  /**
   * After each reconnect, once subscribed again: messages published while the connection was away are lost, so
   * this is where they are made up for (e.g. re-checking state those messages would have changed).
   */
  onResubscribed?: () => Promise<void> | void;
  /** A connection error (it reconnects by itself), or a failed resubscription or `onResubscribed`. */
  onError?: (error: Error, during: 'connection' | 'resubscribe') => void;
  /**
   * How long `open()` waits for the first connection.
   * @default 10000
   */
  connectTimeoutMs?: number;
}

/**
 * One subscription to a pub/sub channel on a connection of its own: connect, subscribe, typed parse of every
 * message, a callback after every resubscription, close. ioredis resubscribes after a reconnect by itself, but
 * without telling when it is done; subscribing explicitly gives that moment: anything published before it is
 * either delivered or had its effects written earlier, so `onResubscribed` finds them.
 */
export class ChannelSubscription<Message> {
  private subscribedOnce = false;

  constructor(private readonly options: ChannelSubscriptionOptions<Message>) {}

  /** Connects and subscribes; rejects (and gives the connection up) when Redis does not answer in time. */
  async open(): Promise<void> {
    const { connection, channel } = this.options;
    connection.on('message', (messageChannel: string, payload: string) => {
      if (messageChannel === channel) this.handle(payload);
    });
    connection.on('error', (error: Error) => this.options.onError?.(error, 'connection'));
    connection.on('ready', () => {
      if (this.subscribedOnce) void this.resubscribe();
    });
    await connectRedis(connection, this.options.description, this.options.connectTimeoutMs ?? 10_000);
    await connection.subscribe(channel);
    this.subscribedOnce = true;
  }

  /** `ready` while subscribed; anything else means messages are being missed. */
  get status(): string {
    return this.options.connection.status;
  }

  close(): Promise<void> {
    return closeRedis(this.options.connection);
  }

  private async resubscribe(): Promise<void> {
    try {
      await this.options.connection.subscribe(this.options.channel);
      await this.options.onResubscribed?.();
    } catch (error) {
      this.options.onError?.(error as Error, 'resubscribe');
    }
  }

  private handle(payload: string): void {
    const parsed = this.options.parse(payload);
    if (parsed.ok) this.options.onMessage(parsed.message);
    else this.options.onInvalid?.(parsed.error, payload);
  }
}
