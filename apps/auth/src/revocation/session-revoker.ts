import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { sessionEnded, type Credential } from '@app/authentication';
import type { RevocationConfirmation, SessionEndReason, SessionId, UserId } from '@app/contracts';
import { REDIS_CLIENT, type RedisClient } from '@app/redis';
import {
  CallerSessionEndedError,
  createRevoker,
  type EndProviderSessionsInput,
  type EndProviderSessionsResult,
  type EndSessionsResult,
  type Revoker,
} from '@sessionwire/revoke';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { KnownLoginAddresses } from '../login-limits/known-login-addresses';
import { AuthMetrics } from '../metrics/auth-metrics';

export interface Revocation {
  /** The sessions that were still alive and are now deleted. */
  ended: SessionId[];
  /** Present when confirmation was asked for. */
  confirmation?: RevocationConfirmation;
}

/**
 * Ends sessions through @sessionwire/revoke: one script deletes the records and announces it on `user-logged-out`,
 * so every gateway drops the sockets now (the deletion alone already makes the revocation durable: gateways
 * re-check). On request, waits for every live gateway to confirm how many sockets it closed.
 */
@Injectable()
export class SessionRevoker implements OnApplicationShutdown {
  private readonly logger = new Logger(SessionRevoker.name);
  private readonly revoker: Revoker;

  constructor(
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    @Inject(REDIS_CLIENT) redis: RedisClient,
    private readonly metrics: AuthMetrics,
    private readonly knownAddresses: KnownLoginAddresses,
  ) {
    this.revoker = createRevoker({
      redis,
      connectionName: 'auth:revocation',
      onError: (error) => this.logger.warn(`Ack subscriber connection error: ${error.message}`),
    });
  }

  /**
   * Ends the listed sessions (`null`: all of the user's, and then also forgets the addresses the account logged in
   * from). A `caller` (the credential of a session of this user, not yet proven) must still be alive when the script
   * runs, or nothing ends and it is refused as SESSION_REVOKED.
   */
  async revoke(
    userId: UserId,
    sessionIds: SessionId[] | null,
    reason: SessionEndReason,
    options: { confirm?: boolean; caller?: Credential } = {},
  ): Promise<Revocation> {
    const { caller } = options;
    let revocation: EndSessionsResult;
    try {
      revocation = await this.revoker.endSessions({
        userId,
        sessionIds,
        reason,
        confirm: options.confirm ? { timeoutMs: this.config.revocationConfirmDeadlineMs } : undefined,
        caller: caller ? { sessionId: caller.sessionId, cookieHash: caller.cookieHash } : undefined,
      });
    } catch (error) {
      if (error instanceof CallerSessionEndedError && caller) throw sessionEnded(caller);
      throw error;
    }
    // Ending every session is what one does after a compromise: an address the attacker logged in from must not
    // stay spared from the username ceiling.
    if (sessionIds === null) await this.knownAddresses.forgetAll(userId);
    this.metrics.sessionsEndedBy(reason, revocation.ended.length);
    // Nothing published (no listed session existed), nothing awaited: not an outcome.
    if (revocation.confirmation && revocation.messageId !== null) this.metrics.revocationConfirmed(revocation.confirmation);
    return revocation.confirmation ? { ended: revocation.ended, confirmation: revocation.confirmation } : { ended: revocation.ended };
  }

  /** Ends sessions of an external OpenID Provider (its back-channel logout), on the same revoker. */
  endProviderSessions(input: EndProviderSessionsInput): Promise<EndProviderSessionsResult> {
    return this.revoker.endProviderSessions(input);
  }

  onApplicationShutdown(): Promise<void> {
    return this.revoker.close();
  }
}
