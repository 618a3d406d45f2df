import { Injectable } from '@nestjs/common';
import type { SessionEndReason } from '@app/contracts';
import { Counter, Registry } from 'prom-client';

export type LoginResult = 'success' | 'invalid_credentials' | 'rate_limited';

@Injectable()
export class AuthMetrics {
  private readonly logins: Counter<'result'>;
  private readonly sessionsEnded: Counter<'reason'>;

  constructor(registry: Registry) {
    this.logins = new Counter({ name: 'auth_logins_total', help: 'Login attempts by result', labelNames: ['result'], registers: [registry] });
    this.sessionsEnded = new Counter({
      name: 'auth_sessions_ended_total',
      help: 'Sessions ended, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  login(result: LoginResult): void {
    this.logins.inc({ result });
  }

  sessionsEndedBy(reason: SessionEndReason, count: number): void {
    if (count > 0) this.sessionsEnded.inc({ reason }, count);
  }
}
