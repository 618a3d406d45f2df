import { setTimeout as sleep } from 'node:timers/promises';
import { histogram, histogramDelta, histogramQuantile, largestLoopDelayMs, processUsage, scrape, waitForSockets } from '../lib/observe.mjs';
import { summarize } from '../lib/stats.mjs';

const PROPAGATION = 'sessionwire_gateway_logout_propagation_seconds';
const RECHECK = 'sessionwire_gateway_recheck_duration_seconds';
/** prom-client's largest event-loop delay since the previous scrape (its delay monitor is reset on every scrape). */
const EVENT_LOOP_LAG_MAX = 'nodejs_eventloop_lag_max_seconds';
/** Idle time after background sockets connect, so the probe does not race the last handshakes' side work. */
const SETTLE_MS = 2000;

/**
 * Scenario 3: forced-logout latency across 3 nodes with 0…N other sockets connected, measured by a probe
 * process of its own: one socket per node for a fresh session, then the HTTP call, until the last of the three
 * sees `disconnect`.
 *   sessionwire: POST /auth/logout (auth service: session deleted, `user-logged-out` published; each gateway drops
 *                its local sockets of that session).
 *   (b) baseline: plain Socket.IO ×3 with @socket.io/redis-adapter; POST /disconnect on one node (round robin)
 *                runs io.in(room).disconnectSockets(true).
 *   (a) floor:    PUBLISH → subscriber on the same Redis, one at a time.
 * The 100k level runs in the scale scenario (scale.mjs), on more nodes, with the same probes.
 */
export async function forcedLogout(ctx) {
  const { sizes } = ctx;
  const adapter = await adapterRun(ctx);
  const system = await systemRun(ctx);
  return {
    method:
      `3 nodes; per revocation one socket per node for a fresh session; latency = HTTP call sent → last of the 3 sockets disconnected, ` +
      `measured in a probe process; ${sizes.revocations} revocations per level after ${sizes.probeWarmup} unmeasured; background sockets spread ` +
      `evenly over the 3 nodes from separate load processes.`,
    levels: sizes.logoutLevels,
    adapter,
    system,
  };
}

async function adapterRun(ctx) {
  const { sizes, load } = ctx;
  const nodes = [];
  for (let index = 1; index <= 3; index++) nodes.push(await ctx.startPlain(`adapter-${index}`, { redisUrl: ctx.redis.url }));
  const levels = [];
  try {
    let connected = 0;
    for (const level of sizes.logoutLevels) {
      connected = await growBackground(ctx, nodes, connected, level, (session, index) => ({ room: `bg-${index % Math.max(1, ctx.sessions.length)}` }));
      ctx.log(`forced logout: adapter baseline, ${level} background sockets, ${sizes.revocations} revocations`);
      levels.push(await probeAdapter(ctx, nodes, level, sizes.revocations + sizes.probeWarmup));
    }
  } finally {
    await load.closeAll();
    for (const node of nodes) await ctx.services.stop(node);
  }
  return levels;
}

async function systemRun(ctx) {
  const { sizes, load } = ctx;
  const gateways = [];
  for (let index = 1; index <= 3; index++) gateways.push(await ctx.startGateway(`gw-${index}`));
  const levels = [];
  try {
    let connected = 0;
    for (const level of sizes.logoutLevels) {
      connected = await growBackground(ctx, gateways, connected, level, () => ({}));
      ctx.log(`forced logout: sessionwire, ${level} background sockets, ${sizes.revocations} revocations`);
      levels.push(await probeSystem(ctx, gateways, level, takeVictims(ctx, sizes.revocations + sizes.probeWarmup)));
    }
  } finally {
    await load.closeAll();
    for (const gateway of gateways) await ctx.services.stop(gateway);
  }
  return levels;
}

/** The sessions revoked by the next probe: fresh ones each time (a logout ends its session). */
export function takeVictims(ctx, count) {
  if (ctx.victims.length < count) throw new Error(`only ${ctx.victims.length} fresh sessions left for ${count} revocations`);
  return ctx.victims.splice(0, count).map((session) => session.token);
}

/** Probes Socket.IO's own cross-node disconnect at the current level: `count` rooms, the first probeWarmup unmeasured. */
export async function probeAdapter(ctx, nodes, level, count) {
  const { sizes, load } = ctx;
  const rooms = Array.from({ length: count }, (_, index) => `victim-${level}-${index}`);
  await Promise.all(nodes.map(largestLoopDelayMs));
  const probe = await load.probe().call('adapterProbe', { nodeUrls: nodes.map((node) => node.url), redisUrl: ctx.redis.url, rooms, warmup: sizes.probeWarmup });
  const eventLoopLagMaxMs = await Promise.all(nodes.map(largestLoopDelayMs));
  const floor = await load.probe().call('publishProbe', { redisUrl: ctx.redis.url, count, warmup: sizes.probeWarmup });
  return {
    background: level,
    nodes: nodes.length,
    latencyMs: summarize(probe.samples.map((sample) => sample.latencyMs)),
    httpMs: summarize(probe.samples.map((sample) => sample.httpMs)),
    ...splitAtMessage(probe.samples),
    errors: probe.errors,
    floorMs: summarize(floor.samples.map((sample) => sample.latencyMs)),
    eventLoopLagMaxMs,
    rssBytes: await rssOf(nodes),
  };
}

/** Probes forced logout at the current level and reads each gateway's own propagation histogram around it. */
export async function probeSystem(ctx, gateways, level, tokens) {
  const before = await Promise.all(gateways.map((gateway) => scrape(`${gateway.url}/metrics`)));
  const probe = await ctx.load.probe().call('logoutProbe', {
    gatewayUrls: gateways.map((gateway) => gateway.url),
    authUrl: ctx.auth.url,
    redisUrl: ctx.redis.url,
    tokens,
    warmup: ctx.sizes.probeWarmup,
  });
  const after = await Promise.all(gateways.map((gateway) => scrape(`${gateway.url}/metrics`)));
  const floor = await ctx.load.probe().call('publishProbe', { redisUrl: ctx.redis.url, count: tokens.length, warmup: ctx.sizes.probeWarmup });
  const status = await ctx.load.status();
  return {
    background: level,
    nodes: gateways.length,
    latencyMs: summarize(probe.samples.map((sample) => sample.latencyMs)),
    httpMs: summarize(probe.samples.map((sample) => sample.httpMs)),
    ...splitAtMessage(probe.samples),
    sessionEndedEvents: probe.samples.reduce((sum, sample) => sum + sample.endedEvents, 0),
    errors: probe.errors,
    floorMs: summarize(floor.samples.map((sample) => sample.latencyMs)),
    // Includes the unmeasured warm-up revocations: the histogram cannot tell them apart.
    serverSide: gateways.map((gateway, index) => {
      const delta = histogramDelta(histogram(before[index], PROPAGATION), histogram(after[index], PROPAGATION));
      const recheck = histogramDelta(histogram(before[index], RECHECK), histogram(after[index], RECHECK));
      const ms = (seconds) => (seconds === null ? null : seconds * 1000);
      return {
        nodeId: gateway.nodeId,
        count: delta.count,
        meanMs: delta.count ? (delta.sum / delta.count) * 1000 : null,
        p50Ms: ms(histogramQuantile(delta, 0.5)),
        p99Ms: ms(histogramQuantile(delta, 0.99)),
        // What the node's event loop went through while the revocations were probed.
        eventLoopLagMaxMs: ms(after[index].get(EVENT_LOOP_LAG_MAX) ?? null),
        recheckPasses: recheck.count,
        recheckMeanMs: recheck.count ? (recheck.sum / recheck.count) * 1000 : null,
      };
    }),
    rssBytes: await rssOf(gateways),
    backgroundDropped: status.unexpectedDisconnects,
  };
}

/**
 * Each latency split where the probe's own subscriber saw the revocation's message (its clock, no other process's):
 * call sent → message published, and message → last socket disconnected. Samples whose message it did not see are left out.
 */
function splitAtMessage(samples) {
  const seen = samples.filter((sample) => sample.publishedMs !== null);
  return {
    publishedMs: summarize(seen.map((sample) => sample.publishedMs)),
    afterMessageMs: summarize(seen.map((sample) => sample.afterMessageMs)),
  };
}

/**
 * Connects background sockets until `target` are open across `nodes` (round robin), from the load processes.
 * Gateway sockets use the session pool's tokens; `auth(session, index)` adds per-socket handshake fields.
 */
async function growBackground(ctx, nodes, connected, target, extraAuth) {
  const missing = target - connected;
  if (missing <= 0) return connected;
  const targets = Array.from({ length: missing }, (_, offset) => {
    const index = connected + offset;
    const session = ctx.sessions[index % ctx.sessions.length];
    return { url: nodes[index % nodes.length].url, auth: { token: session.token, ...extraAuth(session, index) } };
  });
  const result = await ctx.load.connect({ targets, total: missing, workers: 2, concurrency: ctx.sizes.handshakeConcurrency, held: connected });
  if (result.failed > 0) throw new Error(`${result.failed} of ${missing} background sockets failed: ${JSON.stringify(result.errors)}`);
  await Promise.all(nodes.map((node) => waitForSockets(node, (count) => count >= Math.floor(target / nodes.length), 120_000)));
  await sleep(SETTLE_MS);
  return target;
}

async function rssOf(nodes) {
  const usages = await Promise.all(nodes.map((node) => processUsage(node.pid)));
  return usages.map((usage) => usage.rssBytes);
}
