import {
  parseUserLoggedOut,
  USER_LOGGED_OUT_ACK_CHANNEL,
  USER_LOGGED_OUT_CHANNEL,
  type AnyUserLoggedOut,
  type ExternalUserLoggedOut,
  type UserLoggedOut,
  type UserLoggedOutAck,
} from '@app/contracts';
import { externalSessionId, externalUserId } from '@app/oidc';
import { ChannelSubscription, type RedisClient } from '@app/redis';
import type { ForcedLogout } from '../sockets/forced-logout';
import type { LocalSockets } from '../sockets/local-sockets';
import type { SessionwireLogger } from '../config/logger';
import type { WireMetrics } from '../sockets/metrics';
import type { RecentEnds } from './recent-ends';
import type { SessionRecheck } from './session-recheck';
import { sessionwireRooms } from '../sockets/socket-types';

/** How many recent message ids are remembered to ignore duplicates. */
const SEEN_IDS = 10_000;

/**
 * This node's subscription to `user-logged-out`, on a connection of its own. Each message drops the
 * local sockets of the ended sessions. After any reconnect a re-check runs, because messages published
 * while the subscriber was away are lost.
 */
export class UserLoggedOutSubscriber {
  private readonly subscription: ChannelSubscription<AnyUserLoggedOut>;
  private readonly seenIds = new Set<string>();

  constructor(
    private readonly config: { nodeId: string },
    /** The subscriber connection (not connected yet): the subscription connects and closes it. */
    connection: RedisClient,
    description: string,
    private readonly redis: RedisClient,
    private readonly sockets: LocalSockets,
    private readonly forcedLogout: ForcedLogout,
    private readonly recheck: SessionRecheck,
    private readonly metrics: WireMetrics,
    private readonly recentEnds: RecentEnds,
    private readonly logger: SessionwireLogger,
  ) {
    this.subscription = new ChannelSubscription({
      connection,
      channel: USER_LOGGED_OUT_CHANNEL,
      description,
      parse: parseUserLoggedOut,
      onMessage: (message) => this.handle(message),
      onInvalid: (error) => this.logger.warn(`Ignored an invalid ${USER_LOGGED_OUT_CHANNEL} message: ${error}`),
      // Messages published while the subscriber was away are lost: any logout published before the resubscription
      // deleted its session earlier still, so the re-check (on the command connection) finds it.
      onResubscribed: () => {
        this.logger.info('Subscriber reconnected; re-checking live sessions for revocations missed meanwhile');
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

  open(): Promise<void> {
    return this.subscription.open();
  }

  close(): Promise<void> {
    return this.subscription.close();
  }

  /** `ready` while subscribed; anything else means revocations reach this node only through the re-check. */
  status(): string {
    return this.subscription.status;
  }

  private handle(message: AnyUserLoggedOut): void {
    if (this.seenIds.has(message.id)) return;
    this.remember(message.id);
    this.recentEnds.rememberSessionEnd(message);
    const closed = this.forcedLogout.end(message.v === 1 ? this.affectedSockets(message) : this.affectedExternalSockets(message), message.reason);
    // Each socket's disconnect packet is handed to its transport on the write callback of its `session:ended` (after
    // this handler returns): the metric, the log line and the receipt wait until then, so none of them delays a close.
    // The receipt counts sockets closed on the server side (out of their rooms, no further events dispatched).
    setImmediate(() => this.report(message, closed));
  }

  private report(message: AnyUserLoggedOut, closed: number): void {
    if (closed > 0) {
      this.metrics.logoutPropagated(message.at);
      const about = message.v === 1 ? { userId: message.userId } : { issuer: message.issuer };
      this.logger.info({ messageId: message.id, ...about, reason: message.reason, closedSockets: closed }, 'Sessions ended');
    }
    this.acknowledge(message, closed);
  }

  /** Tells the publisher (waiting for a confirmed revocation) how many sockets this node closed. */
  private acknowledge(message: AnyUserLoggedOut, closedSockets: number): void {
    const ack: UserLoggedOutAck = { v: 1, id: message.id, nodeId: this.config.nodeId, closedSockets };
    this.redis.publish(USER_LOGGED_OUT_ACK_CHANNEL, JSON.stringify(ack)).catch((error: Error) => {
      this.logger.warn(`Could not acknowledge ${message.id}: ${error.message}`);
    });
  }

  private affectedSockets(message: UserLoggedOut) {
    const roomNames = message.sessionIds === null ? [sessionwireRooms.user(message.userId)] : message.sessionIds.map(sessionwireRooms.session);
    // Session ids are unique, but a forged message must not reach another user's sockets.
    return this.sockets.inRooms(roomNames).filter((socket) => socket.data.userId === message.userId);
  }

  /**
   * Sockets of an ended external provider session: every socket in its (derived, issuer-bound) session's room, whatever
   * user the message names, by the rule its record refuses handshakes with (pairwise subjects may differ from the
   * access tokens'); without a session, the user's sockets whose session started at or before `at`.
   */
  private affectedExternalSockets({ issuer, subject, providerSessionId, at }: ExternalUserLoggedOut) {
    if (providerSessionId !== null) {
      return this.sockets.inRooms([sessionwireRooms.session(externalSessionId(issuer, providerSessionId))]).filter((socket) => socket.data.issuer === issuer);
    }
    if (subject === null) return [];
    return this.sockets.inRooms([sessionwireRooms.user(externalUserId(issuer, subject))]).filter((socket) => socket.data.issuer === issuer && socket.data.sessionStartedAt <= at);
  }

  private remember(id: string): void {
    this.seenIds.add(id);
    if (this.seenIds.size > SEEN_IDS) this.seenIds.delete(this.seenIds.values().next().value as string);
  }
}
