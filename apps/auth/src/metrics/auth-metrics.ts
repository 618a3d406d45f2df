import { Injectable } from '@nestjs/common';
import type { RevocationConfirmation, SessionEndReason } from '@app/contracts';
import { Counter, Registry } from 'prom-client';

export type LoginResult = 'success' | 'invalid_credentials' | 'rate_limited';
/**
 * `rotated`: the current token was swapped; `grace`: the token rotated away last, presented again within
 * REFRESH_REUSE_GRACE, got the current one; `reuse`: an older token came back and the session ended; `invalid`.
 */
export type RefreshResult = 'rotated' | 'grace' | 'reuse' | 'invalid';
/**
 * `ended`: a valid logout token ended its sessions; `invalid_request`: no usable form body (content type, size, the
 * parameter); `invalid_token`: the token failed validation; `replayed`: its `jti` was already acted on; `unavailable`:
 * Redis or the issuer's keys could not be reached (the provider may retry); `error`: anything else.
 */
export type BackchannelLogoutResult = 'ended' | 'invalid_request' | 'invalid_token' | 'replayed' | 'unavailable' | 'error';

@Injectable()
export class AuthMetrics {
  private readonly logins: Counter<'result'>;
  private readonly sessionsEnded: Counter<'reason'>;
  private readonly refreshes: Counter<'result'>;
  private readonly backchannelLogouts: Counter<'result'>;
  private readonly confirmations: Counter<'outcome'>;
  private readonly confirmationNodes: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.logins = new Counter({ name: 'sessionwire_auth_logins_total', help: 'Login attempts by result', labelNames: ['result'], registers: [registry] });
    this.sessionsEnded = new Counter({
      name: 'sessionwire_auth_sessions_ended_total',
      help: 'Sessions ended, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.refreshes = new Counter({ name: 'sessionwire_auth_refreshes_total', help: 'Refresh token presentations by result', labelNames: ['result'], registers: [registry] });
    this.backchannelLogouts = new Counter({
      name: 'sessionwire_auth_backchannel_logouts_total',
      help: 'OpenID Connect back-channel logout requests by result',
      labelNames: ['result'],
      registers: [registry],
    });
    this.confirmations = new Counter({
      name: 'sessionwire_auth_revocation_confirmations_total',
      help: 'Confirmed revocations by outcome: complete (every live gateway node acknowledged by the deadline) or incomplete',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.confirmationNodes = new Counter({
      name: 'sessionwire_auth_revocation_confirmation_nodes_total',
      help: 'Gateway nodes awaited by confirmed revocations, by outcome: confirmed or unconfirmed (no acknowledgement by the deadline)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  login(result: LoginResult): void {
    this.logins.inc({ result });
  }

  refresh(result: RefreshResult): void {
    this.refreshes.inc({ result });
  }

  backchannelLogout(result: BackchannelLogoutResult): void {
    this.backchannelLogouts.inc({ result });
  }

  revocationConfirmed({ nodes, unconfirmedNodes }: RevocationConfirmation): void {
    this.confirmations.inc({ outcome: unconfirmedNodes.length === 0 ? 'complete' : 'incomplete' });
    this.confirmationNodes.inc({ outcome: 'confirmed' }, nodes.length);
    this.confirmationNodes.inc({ outcome: 'unconfirmed' }, unconfirmedNodes.length);
  }

  sessionsEndedBy(reason: SessionEndReason, count: number): void {
    if (count > 0) this.sessionsEnded.inc({ reason }, count);
  }
}
