import { Injectable } from '@nestjs/common';
import type { HandshakeErrorCode } from '@app/contracts';
import { Counter, Histogram, Registry } from 'prom-client';

@Injectable()
export class GatewayMetrics {
  private readonly handshakes: Counter<'result'>;
  private readonly propagation: Histogram;

  constructor(registry: Registry) {
    this.handshakes = new Counter({
      name: 'gateway_handshakes_total',
      help: 'Handshakes by result: accepted or the connect_error code',
      labelNames: ['result'],
      registers: [registry],
    });
    this.propagation = new Histogram({
      name: 'gateway_logout_propagation_seconds',
      help: 'From a user-logged-out message `at` to the last local socket of it disconnected',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  handshake(result: 'accepted' | HandshakeErrorCode): void {
    this.handshakes.inc({ result });
  }

  logoutPropagated(publishedAt: number): void {
    this.propagation.observe(Math.max(0, Date.now() - publishedAt) / 1000);
  }
}
