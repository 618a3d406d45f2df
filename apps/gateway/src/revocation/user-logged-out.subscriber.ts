import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { parseUserLoggedOut, USER_LOGGED_OUT_ACK_CHANNEL, USER_LOGGED_OUT_CHANNEL, type UserLoggedOut, type UserLoggedOutAck } from '@app/contracts';
import { closeRedis, connectRedis, createChannelSubscriber, REDIS_CLIENT, type RedisClient } from '@app/redis';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { ForcedLogout } from '../sockets/forced-logout';
import { LocalSockets } from '../sockets/local-sockets';
import { rooms } from '../sockets/socket-types';
import { RecentEnds } from './recent-ends';
import { SessionRecheck } from './session-recheck';

/** How many recent message ids are remembered to ignore duplicates. */
const SEEN_IDS = 10_000;

/**
 * This node's subscription to `user-logged-out`, on a connection of its own. Each message drops the
 * local sockets of the ended sessions. After any reconnect a re-check runs, because messages published
 * while the subscriber was away are lost.
 */
@Injectable()
export class UserLoggedOutSubscriber implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UserLoggedOutSubscriber.name);
  private readonly subscriber: RedisClient;
  private readonly seenIds = new Set<string>();
  private subscribedOnce = false;

  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly sockets: LocalSockets,
    private readonly forcedLogout: ForcedLogout,
    private readonly recheck: SessionRecheck,
    private readonly metrics: GatewayMetrics,
    private readonly recentEnds: RecentEnds,
  ) {
    this.subscriber = createChannelSubscriber(config.redis, { connectionName: `gateway:${config.nodeId}:user-logged-out`, channel: USER_LOGGED_OUT_CHANNEL });
  }

  async onModuleInit(): Promise<void> {
    this.subscriber.on('message', (_channel: string, payload: string) => this.handle(payload));
    this.subscriber.on('error', (error: Error) => this.logger.warn(`Subscriber connection error: ${error.message}`));
    this.subscriber.on('ready', () => {
      if (this.subscribedOnce) void this.resubscribeAndRecheck();
    });
    await connectRedis(this.subscriber, this.config.redis, 10_000);
    await this.subscriber.subscribe(USER_LOGGED_OUT_CHANNEL);
    this.subscribedOnce = true;
  }

  onApplicationShutdown(): Promise<void> {
    return closeRedis(this.subscriber);
  }

  /**
   * ioredis resubscribes by itself, but without telling when it is done. Subscribing explicitly gives that
   * moment: any logout published before it deleted its session earlier still, so the re-check that
   * follows (on the command connection) finds it.
   */
  private async resubscribeAndRecheck(): Promise<void> {
    try {
      await this.subscriber.subscribe(USER_LOGGED_OUT_CHANNEL);
      this.logger.log('Subscriber reconnected; re-checking live sessions for revocations missed meanwhile');
      await this.recheck.run();
    } catch (error) {
      this.logger.warn(`Resubscribe failed (will retry on the next reconnect or re-check): ${(error as Error).message}`);
    }
  }

  /** `ready` while subscribed; anything else means revocations reach this node only through the re-check. */
  status(): string {
    return this.subscriber.status;
  }

  private handle(payload: string): void {
    const parsed = parseUserLoggedOut(payload);
    if (!parsed.ok) {
      this.logger.warn(`Ignored an invalid ${USER_LOGGED_OUT_CHANNEL} message: ${parsed.error}`);
      return;
    }
    const message = parsed.message;
    if (this.seenIds.has(message.id)) return;
    this.remember(message.id);
    this.recentEnds.rememberSessionEnd(message);
    const closed = this.forcedLogout.end(this.affectedSockets(message), message.reason);
    if (closed > 0) {
      this.metrics.logoutPropagated(message.at);
      this.logger.log({ msg: 'Sessions ended', messageId: message.id, userId: message.userId, reason: message.reason, closedSockets: closed });
    }
    this.acknowledge(message, closed);
  }

  /** Tells the publisher (waiting for a confirmed revocation) how many sockets this node closed. */
  private acknowledge(message: UserLoggedOut, closedSockets: number): void {
    const ack: UserLoggedOutAck = { v: 1, id: message.id, nodeId: this.config.nodeId, closedSockets };
    this.redis.publish(USER_LOGGED_OUT_ACK_CHANNEL, JSON.stringify(ack)).catch((error: Error) => {
      this.logger.warn(`Could not acknowledge ${message.id}: ${error.message}`);
    });
  }

  private affectedSockets(message: UserLoggedOut) {
    const roomNames = message.sessionIds === null ? [rooms.user(message.userId)] : message.sessionIds.map(rooms.session);
    // Session ids are unique, but a forged message must not reach another user's sockets.
    return this.sockets.inRooms(roomNames).filter((socket) => socket.data.userId === message.userId);
  }

  private remember(id: string): void {
    this.seenIds.add(id);
    if (this.seenIds.size > SEEN_IDS) this.seenIds.delete(this.seenIds.values().next().value as string);
  }
}
