import type { HandshakeErrorCode, SocketEndReason } from '@app/contracts';
import type { Registry } from 'prom-client';
import type { LocalSockets } from './local-sockets';
import type { MetricsRegistry } from '../config/options';

/** The node's session metrics; the same names as the sessionwire gateway's. */
export interface WireMetrics {
  handshake(result: 'accepted' | HandshakeErrorCode): void;
  logoutPropagated(publishedAt: number): void;
  forcedDisconnect(reason: SocketEndReason, count: number): void;
}

export const noMetrics: WireMetrics = {
  handshake: () => undefined,
  logoutPropagated: () => undefined,
  forcedDisconnect: () => undefined,
};

/** Registers the metrics on the app's registry. prom-client is an optional peer: loaded only when metrics are asked for. */
export async function registerMetrics(appRegistry: MetricsRegistry, sockets: LocalSockets): Promise<WireMetrics> {
  const { Counter, Gauge, Histogram } = await import('prom-client');
  // The app's prom-client Registry (validated as one), typed structurally in the options.
  const registry = appRegistry as unknown as Registry;
  const handshakes = new Counter({
    name: 'gateway_handshakes_total',
    help: 'Handshakes by result: accepted or the connect_error code',
    labelNames: ['result'],
    registers: [registry],
  });
  const propagation = new Histogram({
    name: 'gateway_logout_propagation_seconds',
    help: 'From a user-logged-out message `at` to the last local socket of it disconnected',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'gateway_connected_sockets',
    help: 'Sockets connected to this node',
    registers: [registry],
    collect() {
      this.set(sockets.count());
    },
  });
  const forcedDisconnects = new Counter({
    name: 'gateway_forced_disconnects_total',
    help: 'Sockets this node disconnected because their session ended, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  return {
    handshake: (result) => handshakes.inc({ result }),
    logoutPropagated: (publishedAt) => propagation.observe(Math.max(0, Date.now() - publishedAt) / 1000),
    forcedDisconnect: (reason, count) => {
      if (count > 0) forcedDisconnects.inc({ reason }, count);
    },
  };
}
