import { Injectable } from '@nestjs/common';
import type { SocketEndReason } from '@app/contracts';
import { Counter, Gauge, Registry } from 'prom-client';
import { LocalSockets } from './local-sockets';

/** The node's socket metrics: how many are connected, and how many it disconnected because their session ended. */
@Injectable()
export class SocketMetrics {
  private readonly forcedDisconnects: Counter<'reason'>;

  constructor(registry: Registry, sockets: LocalSockets) {
    new Gauge({
      name: 'gateway_connected_sockets',
      help: 'Sockets connected to this node',
      registers: [registry],
      collect() {
        this.set(sockets.count());
      },
    });
    this.forcedDisconnects = new Counter({
      name: 'gateway_forced_disconnects_total',
      help: 'Sockets this node disconnected because their session ended, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  forcedDisconnect(reason: SocketEndReason, count: number): void {
    if (count > 0) this.forcedDisconnects.inc({ reason }, count);
  }
}
