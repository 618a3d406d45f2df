import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryAtRest, processUsage, serverStats } from '../lib/observe.mjs';
import { probeAdapter, probeSystem, takeVictims } from './forced-logout.mjs';

/** The servers' inspector, only to force a full collection before each memory sample (as scenario 2). */
const INSPECT = ['--inspect=127.0.0.1:0'];

/**
 * Between the memory readings and the forced-logout probes. The readings force full collections on every node at the
 * same moment; probed right after, both sides measured what followed them: largest event-loop delays of 0.4–2.1 s on
 * gateways and adapter nodes alike, where 30 s later they were 26–94 ms (one adapter node 469).
 */
const SETTLE_AFTER_MEMORY_MS = 30_000;

/**
 * Scenario 6: N idle authenticated sockets (100,000 in a full run) over G gateways (7: at most ~15,000 sockets per
 * process under the 20,000 open-files hard limit), held by lean load processes (bench/load/lean-client.mjs).
 * Measured there: sockets that failed or were dropped, gateway RSS per socket
 * (sum of the gateways' deltas after a forced collection / sockets), gateway and Redis CPU over a fixed idle window
 * (pings and the periodic re-check only), and forced logout at that size with the probes of scenario 3 (one
 * socket.io-client socket per node). The same run on G plain Socket.IO nodes with the Redis adapter and the same
 * number of lean sockets gives the adapter's `disconnectSockets()` at that size; the two run one after the other
 * (file descriptors and CPU do not allow both at once).
 */
export async function scale(ctx) {
  const { sizes } = ctx;
  const tokens = ctx.sessions.map((session) => session.token);
  const adapter = await scaleRun(ctx, {
    kind: 'adapter',
    tokens,
    start: (index) => ctx.startPlain(`scale-adapter-${index}`, { redisUrl: ctx.redis.url, nodeArgs: INSPECT }),
    probe: (nodes) => probeAdapter(ctx, nodes, sizes.scaleSockets, sizes.scaleRevocations + sizes.probeWarmup),
  });
  const system = await scaleRun(ctx, {
    kind: 'gateway',
    tokens,
    start: (index) => ctx.startGateway(`scale-gw-${index}`, {}, INSPECT),
    probe: (nodes) => probeSystem(ctx, nodes, sizes.scaleSockets, takeVictims(ctx, sizes.scaleRevocations + sizes.probeWarmup)),
  });
  const users = new Set(ctx.sessions.map((session) => session.userId)).size;
  return {
    method:
      `${sizes.scaleSockets.toLocaleString('en-US')} idle sockets over ${sizes.scaleNodes} nodes, opened by ${system.loadProcesses} lean load processes ` +
      `(Engine.IO/Socket.IO over \`ws\`, at most ${sizes.leanSocketsPerWorker.toLocaleString('en-US')} each, from 127.0.0.1), ` +
      `${sizes.scaleConcurrency} handshakes in flight per process; gateway sockets use ${tokens.length.toLocaleString('en-US')} sessions of ${users} users ` +
      `(${(sizes.scaleSockets / tokens.length).toFixed(0)} sockets per session). After all connected: CPU over a ${sizes.scaleIdleWindowS} s idle window, ` +
      `memory at rest (as scenario 2), then ${sizes.scaleRevocations} forced-logout revocations after ${sizes.probeWarmup} unmeasured ` +
      `(one probe socket per node). The adapter baseline runs first, on as many plain Socket.IO nodes with the Redis adapter and the same number of lean sockets.`,
    nodes: sizes.scaleNodes,
    sockets: sizes.scaleSockets,
    sessions: tokens.length,
    users,
    idleWindowS: sizes.scaleIdleWindowS,
    adapter,
    system,
  };
}

async function scaleRun(ctx, { kind, tokens, start, probe }) {
  const { sizes, load } = ctx;
  const total = sizes.scaleSockets;
  const nodes = [];
  try {
    for (let index = 1; index <= sizes.scaleNodes; index++) nodes.push(await start(index));
    const before = await memoryOf(nodes);
    const droppedBefore = (await load.status()).unexpectedDisconnects;
    ctx.log(`scale: ${kind}, ${total} lean sockets on ${nodes.length} nodes`);
    const connect = await load.connectLean({
      urls: nodes.map((node) => node.url),
      tokens,
      total,
      authKind: kind === 'adapter' ? 'room' : 'token',
      concurrency: sizes.scaleConcurrency,
      perWorker: sizes.leanSocketsPerWorker,
    });
    ctx.log(`scale: ${kind}, ${connect.ok} connected (${Math.round(connect.perSecond)}/s), ${connect.failed} failed, ${connect.failedAttempts} attempts retried`);
    const connectedOnServers = await waitForTotal(nodes, connect.ok);
    await sleep(2000);

    ctx.log(`scale: ${kind}, ${sizes.scaleIdleWindowS} s idle window`);
    const watched = [...nodes, ctx.redis];
    const cpuStart = await Promise.all(watched.map((service) => processUsage(service.pid)));
    const windowStart = performance.now();
    await sleep(sizes.scaleIdleWindowS * 1000);
    const cpuEnd = await Promise.all(watched.map((service) => processUsage(service.pid)));
    const windowMs = performance.now() - windowStart;
    const cpuPercent = cpuEnd.map((usage, index) => ((usage.cpuMs - cpuStart[index].cpuMs) / windowMs) * 100);

    const after = await memoryOf(nodes);
    await sleep(SETTLE_AFTER_MEMORY_MS);
    ctx.log(`scale: ${kind}, forced logout at ${total} sockets`);
    const logout = await probe(nodes);
    const status = await load.status();
    const stillConnected = (await Promise.all(nodes.map((node) => serverStats(node)))).reduce((sum, stats) => sum + stats.sockets, 0);
    const rssDelta = after.reduce((sum, usage, index) => sum + usage.rssBytes - before[index].rssBytes, 0);
    const heapDelta = after.reduce((sum, usage, index) => sum + usage.heapUsed - before[index].heapUsed, 0);
    return {
      nodes: nodes.map((node) => node.nodeId),
      loadProcesses: connect.workers,
      connected: connect.ok,
      failed: connect.failed,
      failedAttempts: connect.failedAttempts,
      errors: connect.errors,
      connectPerSecond: connect.perSecond,
      connectedOnServers,
      // Sockets the load processes lost while idle and during the probes, and what the servers still count at the end.
      dropped: status.unexpectedDisconnects - droppedBefore,
      droppedReasons: status.reasons,
      stillConnected,
      rssBefore: before.map((usage) => usage.rssBytes),
      rssAfter: after.map((usage) => usage.rssBytes),
      rssPerSocket: rssDelta / connect.ok,
      heapPerSocket: heapDelta / connect.ok,
      idleCpuPercent: { nodes: cpuPercent.slice(0, nodes.length), total: cpuPercent.slice(0, nodes.length).reduce((sum, value) => sum + value, 0), redis: cpuPercent.at(-1) },
      logout,
    };
  } finally {
    await load.closeAll();
    for (const node of nodes) await ctx.services.stop(node);
  }
}

/** RSS and heap in use of each node at rest (as scenario 2: medians of readings after forced full collections). */
function memoryOf(nodes) {
  return Promise.all(
    nodes.map((node) =>
      memoryAtRest(node, async () => {
        const [usage, stats] = await Promise.all([processUsage(node.pid), serverStats(node)]);
        return { rssBytes: usage.rssBytes, heapUsed: stats.heapUsed };
      }),
    ),
  );
}

/** Waits until the nodes together count `expected` sockets (handshakes finish on the server after the client's ack). */
async function waitForTotal(nodes, expected, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const total = (await Promise.all(nodes.map((node) => serverStats(node)))).reduce((sum, stats) => sum + stats.sockets, 0);
    if (total >= expected || Date.now() > deadline) return total;
    await sleep(500);
  }
}
