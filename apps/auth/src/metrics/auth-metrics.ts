import { Injectable } from '@nestjs/common';
import type { SessionEndReason } from '@app/contracts';
import { Counter, Registry } from 'prom-client';

export type LoginResult = 'success' | 'invalid_credentials' | 'rate_limited';
/**
 * `rotated`: the current token was swapped; `grace`: the token rotated away last, presented again within
 * REFRESH_REUSE_GRACE, got the current one; `reuse`: an older token came back and the session ended; `invalid`.
 */
export type RefreshResult = 'rotated' | 'grace' | 'reuse' | 'invalid';

@Injectable()
export class AuthMetrics {
  private readonly logins: Counter<'result'>;
  private readonly sessionsEnded: Counter<'reason'>;
  private readonly refreshes: Counter<'result'>;

  constructor(registry: Registry) {
    this.logins = new Counter({ name: 'auth_logins_total', help: 'Login attempts by result', labelNames: ['result'], registers: [registry] });
    this.sessionsEnded = new Counter({
      name: 'auth_sessions_ended_total',
      help: 'Sessions ended, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.refreshes = new Counter({ name: 'auth_refreshes_total', help: 'Refresh token presentations by result', labelNames: ['result'], registers: [registry] });
  }

  login(result: LoginResult): void {
    this.logins.inc({ result });
  }

  refresh(result: RefreshResult): void {
    this.refreshes.inc({ result });
  }

  sessionsEndedBy(reason: SessionEndReason, count: number): void {
    if (count > 0) this.sessionsEnded.inc({ reason }, count);
  }
}
