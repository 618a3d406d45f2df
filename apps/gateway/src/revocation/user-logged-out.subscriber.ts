import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { parseUserLoggedOut, USER_LOGGED_OUT_ACK_CHANNEL, USER_LOGGED_OUT_CHANNEL, type UserLoggedOut, type UserLoggedOutAck } from '@app/contracts';
import { ChannelSubscription, createChannelSubscriber, describeRedis, REDIS_CLIENT, type RedisClient } from '@app/redis';
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
  private readonly subscription: ChannelSubscription<UserLoggedOut>;
  private readonly seenIds = new Set<string>();

  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly sockets: LocalSockets,
    private readonly forcedLogout: ForcedLogout,
    private readonly recheck: SessionRecheck,
    private readonly metrics: GatewayMetrics,
    private readonly recentEnds: RecentEnds,
  ) {
    this.subscription = new ChannelSubscription({
      connection: createChannelSubscriber(config.redis, { connectionName: `gateway:${config.nodeId}:user-logged-out`, channel: USER_LOGGED_OUT_CHANNEL }),
      channel: USER_LOGGED_OUT_CHANNEL,
      description: describeRedis(config.redis),
      parse: parseUserLoggedOut,
      onMessage: (message) => this.handle(message),
      onInvalid: (error) => this.logger.warn(`Ignored an invalid ${USER_LOGGED_OUT_CHANNEL} message: ${error}`),
      // Messages published while the subscriber was away are lost: any logout published before the resubscription
      // deleted its session earlier still, so the re-check (on the command connection) finds it.
      onResubscribed: () => {
        this.logger.log('Subscriber reconnected; re-checking live sessions for revocations missed meanwhile');
        return this.recheck.run();
      },
      onError: (error, during) =>
        this.logger.warn(
          during === 'connection'
            ? `Subscriber connection error: ${error.message}`
            : `Resubscribe failed (will retry on the next reconnect or re-check): ${error.message}`,
        ),
    });
  }

  onModuleInit(): Promise<void> {
    return this.subscription.open();
  }

  onApplicationShutdown(): Promise<void> {
    return this.subscription.close();
  }

  /** `ready` while subscribed; anything else means revocations reach this node only through the re-check. */
  status(): string {
    return this.subscription.status;
  }

  private handle(message: UserLoggedOut): void {
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
