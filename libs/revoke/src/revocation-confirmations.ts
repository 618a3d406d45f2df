import { parseUserLoggedOutAck, USER_LOGGED_OUT_ACK_CHANNEL, type RevocationConfirmation, type UserLoggedOutAck } from '@app/contracts';
import { channelSubscriberFor, ChannelSubscription, describeClient, type RedisClient } from '@app/redis';
import { ConnectionRegistry } from '@app/registry';

interface Waiter {
  expected: ReadonlySet<string>;
  acks: Map<string, number>;
  finish: () => void;
}

/**
 * Collects the gateways' acknowledgements of `user-logged-out` messages (each node publishes how many sockets it
 * closed) on a subscriber connection of its own, opened at the first wait and subscribed before anything is published.
 */
export class RevocationConfirmations {
  private readonly waiters = new Map<string, Waiter>();
  private subscription?: Promise<ChannelSubscription<UserLoggedOutAck>>;
  private readonly registry: ConnectionRegistry;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: { connectionName: string; connectTimeoutMs: number; onError: (error: Error) => void },
  ) {
    this.registry = new ConnectionRegistry(redis);
  }

  /**
   * Starts waiting for the acknowledgements of message `messageId` from the gateway nodes alive now; call before
   * publishing. The returned promise (wrapped, so awaiting this does not wait out the deadline) resolves when every
   * node answered or at the deadline, naming the nodes that did not.
   */
  async expect(messageId: string, timeoutMs: number): Promise<{ confirmation: Promise<RevocationConfirmation> }> {
    await this.subscribed();
    const nodes = (await this.registry.countsPerNode()).filter((node) => node.alive).map((node) => node.nodeId);
    return { confirmation: this.wait(messageId, nodes, timeoutMs) };
  }

  /** Ends a wait whose message was never published. */
  stopWaiting(messageId: string): void {
    this.waiters.get(messageId)?.finish();
  }

  /** Resolves every wait with what has come, and closes the subscriber connection. */
  async close(): Promise<void> {
    for (const waiter of [...this.waiters.values()]) waiter.finish();
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.then(
      (opened) => opened.close(),
      () => undefined,
    );
  }

  private subscribed(): Promise<ChannelSubscription<UserLoggedOutAck>> {
    if (!this.subscription) {
      const subscription = new ChannelSubscription<UserLoggedOutAck>({
        connection: channelSubscriberFor(this.redis, { connectionName: this.options.connectionName, channel: USER_LOGGED_OUT_ACK_CHANNEL }),
        channel: USER_LOGGED_OUT_ACK_CHANNEL,
        description: describeClient(this.redis),
        parse: parseUserLoggedOutAck,
        onMessage: (ack) => this.record(ack),
        onError: (error) => this.options.onError(error),
        connectTimeoutMs: this.options.connectTimeoutMs,
      });
      const opening = subscription.open().then(() => subscription);
      // A failed open is not kept: the next wait tries again.
      opening.catch(() => {
        if (this.subscription === opening) this.subscription = undefined;
      });
      this.subscription = opening;
    }
    return this.subscription;
  }

  private wait(messageId: string, nodes: readonly string[], timeoutMs: number): Promise<RevocationConfirmation> {
    return new Promise((resolve) => {
      const waiter: Waiter = { expected: new Set(nodes), acks: new Map(), finish: () => undefined };
      const timer = setTimeout(() => waiter.finish(), timeoutMs);
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

  private record(ack: UserLoggedOutAck): void {
    const waiter = this.waiters.get(ack.id);
    if (!waiter) return;
    waiter.acks.set(ack.nodeId, ack.closedSockets);
    if ([...waiter.expected].every((nodeId) => waiter.acks.has(nodeId))) waiter.finish();
  }
}
