import { redisKeys } from '@app/contracts';
import type { TrustedIssuer } from '@app/oidc';
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
  private readonly skewMsOf: Map<string, number>;

  constructor(
    private readonly redis: RedisClient,
    issuers: readonly Pick<TrustedIssuer, 'issuer' | 'clockSkewSeconds'>[],
  ) {
    this.skewMsOf = new Map(issuers.map((issuer) => [issuer.issuer, issuer.clockSkewSeconds * 1000]));
  }

  /**
   * A token of this ended session was refused (or a socket of it closed): the records of its end live at least until
   * that token expires (its `exp` plus the issuer's skew). A provider may go on minting tokens of a session it ended
   * (refresh tokens it did not revoke); were the record to expire first, they would open sockets again. `GT` never
   * shortens a record; a key that is gone (or was never written) stays gone.
   */
  async coverToken(session: Pick<ExternalSessionRef, 'userId' | 'sessionId'>, issuer: string, expiresAt: number): Promise<void> {
    const until = expiresAt + (this.skewMsOf.get(issuer) ?? 0);
    await execBatch(this.redis, [
      ['pexpireat', redisKeys.externalSessionEnded(session.sessionId), until, 'GT'],
      ['pexpireat', redisKeys.externalUserEndedBefore(session.userId), until, 'GT'],
    ]);
  }

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
