import { setTimeout as sleep } from 'node:timers/promises';
import { histogram, histogramDelta, histogramQuantile, processUsage, scrape, waitForSockets } from '../lib/observe.mjs';
import { summarize } from '../lib/stats.mjs';

const PROPAGATION = 'sessionwire_gateway_logout_propagation_seconds';
/** Idle time after background sockets connect, so the probe does not race the last handshakes' side work. */
const SETTLE_MS = 2000;

/**
 * Scenario 3 (and 6): forced-logout latency across 3 nodes with 0…N other sockets connected, measured by a probe
 * process of its own: one socket per node for a fresh session, then the HTTP call, until the last of the three
 * sees `disconnect`.
 *   sessionwire: POST /auth/logout (auth service: session deleted, `user-logged-out` published; each gateway drops
 *                its local sockets of that session).
 *   (b) baseline: plain Socket.IO ×3 with @socket.io/redis-adapter; POST /disconnect on one node (round robin)
 *                runs io.in(room).disconnectSockets(true).
 *   (a) floor:    PUBLISH → subscriber on the same Redis, one at a time.
 * The baseline runs first, so that scenario 6 (stepping the gateways beyond the largest level) can compare each
 * step with it.
 */
export async function forcedLogout(ctx) {
  const { sizes } = ctx;
  const adapter = await adapterRun(ctx);
  const system = await systemRun(ctx, adapter);
  return {
    method:
      `3 nodes; per revocation one socket per node for a fresh session; latency = HTTP call sent → last of the 3 sockets disconnected, ` +
      `measured in a probe process; ${sizes.revocations} revocations per level after ${sizes.probeWarmup} unmeasured; background sockets spread ` +
      `evenly over the 3 nodes from separate load processes.`,
    levels: sizes.logoutLevels,
    adapter,
    system: system.levels,
    scale: system.scale,
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
      const rooms = Array.from({ length: sizes.revocations + sizes.probeWarmup }, (_, index) => `victim-${level}-${index}`);
      const probe = await load.probe().call('adapterProbe', { nodeUrls: nodes.map((node) => node.url), rooms, warmup: sizes.probeWarmup });
      const floor = await load.probe().call('publishProbe', { redisUrl: ctx.redis.url, count: sizes.revocations + sizes.probeWarmup, warmup: sizes.probeWarmup });
      levels.push({
        background: level,
        latencyMs: summarize(probe.samples.map((sample) => sample.latencyMs)),
        httpMs: summarize(probe.samples.map((sample) => sample.httpMs)),
        errors: probe.errors,
        floorMs: summarize(floor.samples.map((sample) => sample.latencyMs)),
        rssBytes: await rssOf(nodes),
      });
    }
  } finally {
    await load.closeAll();
    for (const node of nodes) await ctx.services.stop(node);
  }
  return levels;
}

async function systemRun(ctx, adapterLevels) {
  const { sizes, load } = ctx;
  const gateways = [];
  for (let index = 1; index <= 3; index++) gateways.push(await ctx.startGateway(`gw-${index}`));
  const victims = ctx.victims.slice();
  const takeVictims = (count) => {
    if (victims.length < count) throw new Error(`only ${victims.length} fresh sessions left for ${count} revocations`);
    return victims.splice(0, count).map((session) => session.token);
  };
  const levels = [];
  const scale = { steps: [], limit: sizes.scaleMaxSockets, timeLimitS: sizes.scaleTimeLimitS };
  try {
    let connected = 0;
    for (const level of sizes.logoutLevels) {
      connected = await growBackground(ctx, gateways, connected, level, () => ({}));
      ctx.log(`forced logout: sessionwire, ${level} background sockets, ${sizes.revocations} revocations`);
      levels.push(await probeSystem(ctx, gateways, level, takeVictims(sizes.revocations + sizes.probeWarmup)));
    }
    // Scenario 6: keep adding sockets (bounded by count and time) while forced logout holds its target.
    const reference = adapterLevels.at(-1);
    const startedAt = Date.now();
    let step = connected;
    while (step < sizes.scaleMaxSockets && (Date.now() - startedAt) / 1000 < sizes.scaleTimeLimitS) {
      const next = Math.min(sizes.scaleMaxSockets, step + sizes.scaleStep);
      ctx.log(`scale: ${next} sockets on 3 gateways`);
      let grown;
      try {
        grown = await growBackground(ctx, gateways, connected, next, () => ({}));
      } catch (error) {
        scale.steps.push({ background: next, error: error.message });
        break;
      }
      connected = grown;
      const result = await probeSystem(ctx, gateways, next, takeVictims(sizes.scaleRevocations + sizes.probeWarmup));
      const meets = result.latencyMs.p99 <= 0.8 * reference.latencyMs.p99;
      scale.steps.push({ ...result, meetsTarget: meets });
      step = next;
      if (!meets || Object.keys(result.errors).length > 0) break;
    }
    scale.elapsedS = (Date.now() - startedAt) / 1000;
    scale.reachedLimit = step >= sizes.scaleMaxSockets;
    scale.reference = { background: reference.background, p99: reference.latencyMs.p99 };
  } finally {
    await load.closeAll();
    for (const gateway of gateways) await ctx.services.stop(gateway);
  }
  return { levels, scale };
}

/** Probes forced logout at the current level and reads each gateway's own propagation histogram around it. */
async function probeSystem(ctx, gateways, level, tokens) {
  const before = await Promise.all(gateways.map((gateway) => scrape(`${gateway.url}/metrics`).then((samples) => histogram(samples, PROPAGATION))));
  const probe = await ctx.load.probe().call('logoutProbe', {
    gatewayUrls: gateways.map((gateway) => gateway.url),
    authUrl: ctx.auth.url,
    tokens,
    warmup: ctx.sizes.probeWarmup,
  });
  const after = await Promise.all(gateways.map((gateway) => scrape(`${gateway.url}/metrics`).then((samples) => histogram(samples, PROPAGATION))));
  const floor = await ctx.load.probe().call('publishProbe', { redisUrl: ctx.redis.url, count: tokens.length, warmup: ctx.sizes.probeWarmup });
  const status = await ctx.load.status();
  return {
    background: level,
    latencyMs: summarize(probe.samples.map((sample) => sample.latencyMs)),
    httpMs: summarize(probe.samples.map((sample) => sample.httpMs)),
    sessionEndedEvents: probe.samples.reduce((sum, sample) => sum + sample.endedEvents, 0),
    errors: probe.errors,
    floorMs: summarize(floor.samples.map((sample) => sample.latencyMs)),
    // Includes the unmeasured warm-up revocations: the histogram cannot tell them apart.
    serverSide: gateways.map((gateway, index) => {
      const delta = histogramDelta(before[index], after[index]);
      const ms = (seconds) => (seconds === null ? null : seconds * 1000);
      return {
        nodeId: gateway.nodeId,
        count: delta.count,
        meanMs: delta.count ? (delta.sum / delta.count) * 1000 : null,
        p50Ms: ms(histogramQuantile(delta, 0.5)),
        p99Ms: ms(histogramQuantile(delta, 0.99)),
      };
    }),
    rssBytes: await rssOf(gateways),
    backgroundDropped: status.unexpectedDisconnects,
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
