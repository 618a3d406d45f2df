import { Inject, Injectable, Logger } from '@nestjs/common';
import { createUserLoggedOut, USER_LOGGED_OUT_CHANNEL, type SessionEndReason, type SessionId, type UserId } from '@app/contracts';
import { REDIS_CLIENT } from '@app/redis';
import { SessionStore } from '@app/sessions';
import type { Redis } from 'ioredis';
import { AuthMetrics } from '../metrics/auth-metrics';

/**
 * Ends sessions: deletes the records first (that alone makes the revocation durable: gateways re-check),
 * then announces it on `user-logged-out` so every gateway drops the sockets now.
 */
@Injectable()
export class SessionRevoker {
  private readonly logger = new Logger(SessionRevoker.name);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly sessions: SessionStore,
    private readonly metrics: AuthMetrics,
  ) {}

  /** Ends the listed sessions (`null`: all of the user's); returns the ids that were still alive. */
  async revoke(userId: UserId, sessionIds: SessionId[] | null, reason: SessionEndReason): Promise<SessionId[]> {
    const ended = await this.sessions.end(userId, sessionIds);
    this.metrics.sessionsEndedBy(reason, ended.length);
    if (sessionIds !== null && ended.length === 0) return ended;
    await this.announce(userId, sessionIds === null ? null : ended, reason);
    return ended;
  }

  /** Announces sessions already deleted elsewhere (refresh reuse deletes inside its own script). */
  async announce(userId: UserId, sessionIds: SessionId[] | null, reason: SessionEndReason): Promise<void> {
    const message = createUserLoggedOut(userId, sessionIds, reason);
    try {
      await this.redis.publish(USER_LOGGED_OUT_CHANNEL, JSON.stringify(message));
    } catch (error) {
      // The records are gone already; gateways will find that out on their next re-check.
      this.logger.warn(`Could not publish ${message.id} (${reason}) for user ${userId}: ${(error as Error).message}`);
    }
  }
}
