import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  createUserLoggedOut,
  USER_LOGGED_OUT_CHANNEL,
  type RevocationConfirmation,
  type SessionEndReason,
  type SessionId,
  type UserId,
} from '@app/contracts';
import { REDIS_CLIENT, type RedisClient } from '@app/redis';
import { ConnectionRegistry } from '@app/registry';
import { SessionStore } from '@app/sessions';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { AuthMetrics } from '../metrics/auth-metrics';
import { RevocationConfirmations } from './revocation-confirmations';

export interface Revocation {
  /** The sessions that were still alive and are now deleted. */
  ended: SessionId[];
  /** Present when confirmation was asked for. */
  confirmation?: RevocationConfirmation;
}

/**
 * Ends sessions: deletes the records first (that alone makes the revocation durable: gateways re-check),
 * then announces it on `user-logged-out` so every gateway drops the sockets now. On request, waits for
 * every live gateway to confirm how many sockets it closed.
 */
@Injectable()
export class SessionRevoker {
  private readonly logger = new Logger(SessionRevoker.name);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    private readonly sessions: SessionStore,
    private readonly registry: ConnectionRegistry,
    private readonly confirmations: RevocationConfirmations,
    private readonly metrics: AuthMetrics,
  ) {}

  /** Ends the listed sessions (`null`: all of the user's). */
  async revoke(userId: UserId, sessionIds: SessionId[] | null, reason: SessionEndReason, options: { confirm?: boolean } = {}): Promise<Revocation> {
    const ended = await this.sessions.end(userId, sessionIds);
    this.metrics.sessionsEndedBy(reason, ended.length);
    if (sessionIds !== null && ended.length === 0) {
      return options.confirm ? { ended, confirmation: { closedSockets: 0, nodes: [], unconfirmedNodes: [] } } : { ended };
    }
    const confirmation = await this.announce(userId, sessionIds === null ? null : ended, reason, options);
    return { ended, confirmation };
  }

  /** Announces sessions already deleted (refresh reuse deletes inside its own script). */
  async announce(
    userId: UserId,
    sessionIds: SessionId[] | null,
    reason: SessionEndReason,
    options: { confirm?: boolean } = {},
  ): Promise<RevocationConfirmation | undefined> {
    const message = createUserLoggedOut(userId, sessionIds, reason);
    // Waiting starts before publishing: the fastest gateway may answer before PUBLISH returns.
    const pending = options.confirm ? await this.expectConfirmations(message.id) : undefined;
    try {
      await this.redis.publish(USER_LOGGED_OUT_CHANNEL, JSON.stringify(message));
    } catch (error) {
      // The records are gone already; gateways will find that out on their next re-check.
      this.logger.warn(`Could not publish ${message.id} (${reason}) for user ${userId}: ${(error as Error).message}`);
    }
    return pending?.confirmation;
  }

  /**
   * Registers the wait for the acknowledgements. The promise is wrapped because an async function that returns a
   * promise adopts it: awaiting this would otherwise wait out the confirmations (up to the deadline) before the
   * message is even published.
   */
  private async expectConfirmations(messageId: string): Promise<{ confirmation: Promise<RevocationConfirmation> }> {
    const liveNodes = (await this.registry.countsPerNode()).filter((node) => node.alive).map((node) => node.nodeId);
    return { confirmation: this.confirmations.expect(messageId, liveNodes, this.config.revocationConfirmDeadlineMs) };
  }
}
