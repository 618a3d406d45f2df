import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { parseUserLoggedOutAck, USER_LOGGED_OUT_ACK_CHANNEL, type RevocationConfirmation, type UserLoggedOutAck } from '@app/contracts';
import { closeRedis, connectRedis, createChannelSubscriber, type RedisClient } from '@app/redis';
import { authConfig, type AuthConfig } from '../config/auth.config';

interface Waiter {
  expected: ReadonlySet<string>;
  acks: Map<string, number>;
  finish: () => void;
}

/**
 * Collects the gateways' acknowledgements of `user-logged-out` messages (each node publishes how many
 * sockets it closed), on a subscriber connection of its own that is subscribed before anything is revoked.
 */
@Injectable()
export class RevocationConfirmations implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationConfirmations.name);
  private readonly subscriber: RedisClient;
  private readonly waiters = new Map<string, Waiter>();

  constructor(@Inject(authConfig.KEY) private readonly config: AuthConfig) {
    this.subscriber = createChannelSubscriber(config.redis, { connectionName: 'auth:revocation-acks', channel: USER_LOGGED_OUT_ACK_CHANNEL });
  }

  async onModuleInit(): Promise<void> {
    this.subscriber.on('message', (_channel: string, payload: string) => this.record(parseUserLoggedOutAck(payload)));
    this.subscriber.on('error', (error: Error) => this.logger.warn(`Ack subscriber connection error: ${error.message}`));
    await connectRedis(this.subscriber, this.config.redis, 10_000);
    await this.subscriber.subscribe(USER_LOGGED_OUT_ACK_CHANNEL);
  }

  onApplicationShutdown(): Promise<void> {
    return closeRedis(this.subscriber);
  }

  /**
   * Starts waiting for the acknowledgements of message `messageId` from `nodes`; call before publishing.
   * Resolves when every node answered or at the deadline, naming the nodes that did not.
   */
  expect(messageId: string, nodes: readonly string[], deadlineMs: number): Promise<RevocationConfirmation> {
    return new Promise((resolve) => {
      const waiter: Waiter = { expected: new Set(nodes), acks: new Map(), finish: () => undefined };
      const timer = setTimeout(() => waiter.finish(), deadlineMs);
      waiter.finish = () => {
        clearTimeout(timer);
        this.waiters.delete(messageId);
        const confirmed = [...waiter.acks].map(([nodeId, closedSockets]) => ({ nodeId, closedSockets })).sort((a, b) => a.nodeId.localeCompare(b.nodeId));
        resolve({
          closedSockets: confirmed.reduce((sum, node) => sum + node.closedSockets, 0),
          nodes: confirmed,
          unconfirmedNodes: [...waiter.expected].filter((nodeId) => !waiter.acks.has(nodeId)).sort(),
        });
      };
      this.waiters.set(messageId, waiter);
      if (waiter.expected.size === 0) waiter.finish();
    });
  }

  /** Ends a wait whose message was never published. */
  stopWaiting(messageId: string): void {
    this.waiters.get(messageId)?.finish();
  }

  private record(ack: UserLoggedOutAck | null): void {
    if (!ack) return;
    const waiter = this.waiters.get(ack.id);
    if (!waiter) return;
    waiter.acks.set(ack.nodeId, ack.closedSockets);
    if ([...waiter.expected].every((nodeId) => waiter.acks.has(nodeId))) waiter.finish();
  }
}
