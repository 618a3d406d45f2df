import { redisKeys } from '@app/contracts';
import { execBatch, type BatchCommand, type RedisClient } from '@app/redis';

/** A session of an external OpenID Provider, as far as its liveness goes. */
export interface ExternalSessionRef {
  userId: string;
  sessionId: string;
  /** Epoch ms. */
  sessionStartedAt: number;
}

/**
 * The ends of external providers' sessions that Redis records (written by the back-channel logout receiver before it
 * publishes): a session is alive unless `externalSessionEnded(sessionId)` exists, or its user's
 * `externalUserEndedBefore` holds a time at or after the session's start.
 */
export class ExternalSessionEnds {
  constructor(private readonly redis: RedisClient) {}

  /** Whether this provider session's own end is recorded. */
  async sessionEnded(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(redisKeys.externalSessionEnded(sessionId))) === 1;
  }

  /** For each session, whether it has ended: one round trip per Redis node however many. */
  async whichEnded(sessions: readonly ExternalSessionRef[]): Promise<boolean[]> {
    const replies = await execBatch(
      this.redis,
      sessions.flatMap(({ userId, sessionId }): BatchCommand[] => [
        ['exists', redisKeys.externalSessionEnded(sessionId)],
        ['get', redisKeys.externalUserEndedBefore(userId)],
      ]),
    );
    return sessions.map(({ sessionStartedAt }, index) => {
      const endedBefore = replies[index * 2 + 1];
      return replies[index * 2] === 1 || (typeof endedBefore === 'string' && Number(endedBefore) >= sessionStartedAt);
    });
  }
}
