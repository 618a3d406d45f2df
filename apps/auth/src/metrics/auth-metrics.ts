import { Injectable } from '@nestjs/common';
import type { SessionEndReason } from '@app/contracts';
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

  constructor(registry: Registry) {
    this.logins = new Counter({ name: 'auth_logins_total', help: 'Login attempts by result', labelNames: ['result'], registers: [registry] });
    this.sessionsEnded = new Counter({
      name: 'auth_sessions_ended_total',
      help: 'Sessions ended, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.refreshes = new Counter({ name: 'auth_refreshes_total', help: 'Refresh token presentations by result', labelNames: ['result'], registers: [registry] });
    this.backchannelLogouts = new Counter({
      name: 'auth_backchannel_logouts_total',
      help: 'OpenID Connect back-channel logout requests by result',
      labelNames: ['result'],
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

  sessionsEndedBy(reason: SessionEndReason, count: number): void {
    if (count > 0) this.sessionsEnded.inc({ reason }, count);
  }
}
