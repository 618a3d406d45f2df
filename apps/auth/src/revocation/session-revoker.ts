import { Inject, Injectable } from '@nestjs/common';
import { sessionEnded, type Credential } from '@app/authentication';
import {
  createUserLoggedOut,
  type RevocationConfirmation,
  type SessionEndReason,
  type SessionId,
  type UserId,
} from '@app/contracts';
import { ConnectionRegistry } from '@app/registry';
import { SessionStore } from '@app/sessions';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { KnownLoginAddresses } from '../login-limits/known-login-addresses';
import { AuthMetrics } from '../metrics/auth-metrics';
import { RevocationConfirmations } from './revocation-confirmations';

export interface Revocation {
  /** The sessions that were still alive and are now deleted. */
  ended: SessionId[];
  /** Present when confirmation was asked for. */
  confirmation?: RevocationConfirmation;
}

/**
 * Ends sessions: one script deletes the records and announces it on `user-logged-out`, so every gateway
 * drops the sockets now (the deletion alone already makes the revocation durable: gateways re-check). On
 * request, waits for every live gateway to confirm how many sockets it closed.
 */
@Injectable()
export class SessionRevoker {
  constructor(
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    private readonly sessions: SessionStore,
    private readonly registry: ConnectionRegistry,
    private readonly confirmations: RevocationConfirmations,
    private readonly metrics: AuthMetrics,
    private readonly knownAddresses: KnownLoginAddresses,
  ) {}

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
    const announcement = createUserLoggedOut(userId, sessionIds, reason);
    // Waiting starts before the script publishes: the fastest gateway may answer before the script returns.
    const pending = options.confirm ? await this.expectConfirmations(announcement.id) : undefined;
    let ended: SessionId[] | null = null;
    try {
      ended = await this.sessions.end(userId, sessionIds, announcement, options.caller);
    } finally {
      // Nothing published (refused, failed, or no listed session existed): no acknowledgement will come.
      if (!announced(sessionIds, ended)) this.confirmations.stopWaiting(announcement.id);
    }
    if (ended === null) throw sessionEnded(options.caller as Credential);
    // Ending every session is what one does after a compromise: an address the attacker logged in from must not
    // stay spared from the username ceiling.
    if (sessionIds === null) await this.knownAddresses.forgetAll(userId);
    this.metrics.sessionsEndedBy(reason, ended.length);
    if (!announced(sessionIds, ended)) {
      return options.confirm ? { ended, confirmation: { closedSockets: 0, nodes: [], unconfirmedNodes: [] } } : { ended };
    }
    return { ended, confirmation: await pending?.confirmation };
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

/** Whether the session-end script published: it ran (no refused caller) and ended something, or ended all. */
function announced(sessionIds: SessionId[] | null, ended: SessionId[] | null): boolean {
  return ended !== null && (sessionIds === null || ended.length > 0);
}
