import type { HandshakeErrorCode, SocketEndReason } from '@app/contracts';
import type { Registry } from 'prom-client';
import type { LocalSockets } from './local-sockets';
import type { MetricsRegistry } from '../config/options';

export type HandshakeResult = 'accepted' | HandshakeErrorCode;

/** The node's session metrics; the same names as the sessionwire gateway's. */
export interface WireMetrics {
  /** A handshake ended with `result`, `seconds` after it reached the middleware. */
  handshake(result: HandshakeResult, seconds: number): void;
  logoutPropagated(publishedAt: number): void;
  forcedDisconnect(reason: SocketEndReason, count: number): void;
  /** A re-check pass took `seconds` and closed `closed` sockets per reason (each a `user-logged-out` this node missed). */
  recheckPass(seconds: number, closed: Partial<Record<SocketEndReason, number>>): void;
  /** Where the `user-logged-out` subscriber's state is read at each scrape; until then it counts as not subscribed. */
  watchSubscriber(isSubscribed: () => boolean): void;
}

export const noMetrics: WireMetrics = {
  handshake: () => undefined,
  logoutPropagated: () => undefined,
  forcedDisconnect: () => undefined,
  recheckPass: () => undefined,
  watchSubscriber: () => undefined,
};

/** Buckets shared by the latency histograms: 1 ms to 5 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Registers the metrics on the app's registry. prom-client is an optional peer: loaded only when metrics are asked for. */
export async function registerMetrics(appRegistry: MetricsRegistry, sockets: LocalSockets): Promise<WireMetrics> {
  const { Counter, Gauge, Histogram } = await import('prom-client');
  // The app's prom-client Registry (validated as one), typed structurally in the options.
  const registry = appRegistry as unknown as Registry;
  const handshakes = new Counter({
    name: 'sessionwire_gateway_handshakes_total',
    help: 'Handshakes by result: accepted or the connect_error code',
    labelNames: ['result'],
    registers: [registry],
  });
  const handshakeDuration = new Histogram({
    name: 'sessionwire_gateway_handshake_duration_seconds',
    help: 'From a handshake reaching the authentication middleware to its acceptance or refusal, by result',
    labelNames: ['result'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const propagation = new Histogram({
    name: 'sessionwire_gateway_logout_propagation_seconds',
    help: 'From a user-logged-out message `at` to the last local socket of it disconnected',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'sessionwire_gateway_connected_sockets',
    help: 'Sockets connected to this node',
    registers: [registry],
    collect() {
      this.set(sockets.count());
    },
  });
  const forcedDisconnects = new Counter({
    name: 'sessionwire_gateway_forced_disconnects_total',
    help: 'Sockets this node disconnected because their session ended, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const recheckDuration = new Histogram({
    name: 'sessionwire_gateway_recheck_duration_seconds',
    help: 'Duration of the session re-check passes that completed',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const recheckClosed = new Counter({
    name: 'sessionwire_gateway_recheck_closed_sockets_total',
    help: 'Sockets the session re-check closed, by reason: each one belonged to a user-logged-out message this node missed',
    labelNames: ['reason'],
    registers: [registry],
  });
  let subscribed: () => boolean = () => false;
  new Gauge({
    name: 'sessionwire_gateway_subscriber_connected',
    help: '1 while this node is subscribed to user-logged-out, 0 otherwise (revocations then reach it only through the re-check)',
    registers: [registry],
    collect() {
      this.set(subscribed() ? 1 : 0);
    },
  });
  return {
    handshake: (result, seconds) => {
      handshakes.inc({ result });
      handshakeDuration.observe({ result }, seconds);
    },
    logoutPropagated: (publishedAt) => propagation.observe(Math.max(0, Date.now() - publishedAt) / 1000),
    forcedDisconnect: (reason, count) => {
      if (count > 0) forcedDisconnects.inc({ reason }, count);
    },
    recheckPass: (seconds, closed) => {
      recheckDuration.observe(seconds);
      for (const [reason, count] of Object.entries(closed)) if (count > 0) recheckClosed.inc({ reason }, count);
    },
    watchSubscriber: (isSubscribed) => {
      subscribed = isSubscribed;
    },
  };
}
