import { Injectable } from '@nestjs/common';
import type { HandshakeErrorCode, SocketEndReason } from '@app/contracts';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LocalSockets } from '../realtime/local-sockets';

@Injectable()
export class GatewayMetrics {
  private readonly handshakes: Counter<'result'>;
  private readonly forcedDisconnects: Counter<'reason'>;
  private readonly propagation: Histogram;

  constructor(registry: Registry, sockets: LocalSockets) {
    new Gauge({
      name: 'gateway_connected_sockets',
      help: 'Sockets connected to this node',
      registers: [registry],
      collect() {
        this.set(sockets.count());
      },
    });
    this.handshakes = new Counter({
      name: 'gateway_handshakes_total',
      help: 'Handshakes by result: accepted or the connect_error code',
      labelNames: ['result'],
      registers: [registry],
    });
    this.forcedDisconnects = new Counter({
      name: 'gateway_forced_disconnects_total',
      help: 'Sockets this node disconnected because their session ended, by reason',
      labelNames: ['reason'],
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

  forcedDisconnect(reason: SocketEndReason, count: number): void {
    if (count > 0) this.forcedDisconnects.inc({ reason }, count);
  }

  logoutPropagated(publishedAt: number): void {
    this.propagation.observe(Math.max(0, Date.now() - publishedAt) / 1000);
  }
}
