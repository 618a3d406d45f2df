import { cpuDelta, usageOf, waitForSockets } from '../lib/observe.mjs';

/**
 * Scenario 1: connections per second one gateway accepts with full authentication (token verify, session
 * check, registry write, re-check) against a plain Socket.IO server with no auth and against the user-written
 * baseline (plain Socket.IO + jsonwebtoken verify + one Redis read in `io.use`, key as PEM and as KeyObject). Same client code and
 * options (websocket transport, the token sent to both), same worker processes and concurrency; rounds
 * alternate plain/gateway so drift in machine load hits both. Also the CPU each process spent per handshake:
 * on a shared 2-core machine the clients' own CPU bounds both rates, so the server CPU ratio is reported too.
 */
export async function handshakeThroughput(ctx) {
  const { sizes, services, load, sessions, redis, auth } = ctx;
  const servers = {
    plain: await ctx.startPlain('hs-plain'),
    userPem: await ctx.startUserWritten('hs-user-pem', 'pem'),
    userKeyObject: await ctx.startUserWritten('hs-user-keyobject', 'keyobject'),
    gateway: await ctx.startGateway('hs-gateway'),
  };
  const workers = load.ensure(sizes.handshakeWorkers);
  const rounds = Object.fromEntries(Object.keys(servers).map((kind) => [kind, []]));
  try {
    for (const target of Object.values(servers)) await warmUp(ctx, target);
    for (let round = 0; round < sizes.handshakeRounds; round++) {
      for (const [kind, target] of Object.entries(servers)) {
        ctx.log(`handshake: round ${round + 1}/${sizes.handshakeRounds}, ${kind}, ${sizes.handshakeConnections} connections`);
        const watched = { server: target, redis, auth, ...Object.fromEntries(workers.map((worker) => [worker.name, worker.child])) };
        const before = await usageOf(watched);
        const result = await load.connect({
          targets: sessions.slice(0, sizes.handshakeConnections).map((session) => ({ url: target.url, auth: { token: session.token } })),
          total: sizes.handshakeConnections,
          workers: sizes.handshakeWorkers,
          concurrency: sizes.handshakeConcurrency,
        });
        const cpu = cpuDelta(before, await usageOf(watched));
        const loadCpuMs = workers.reduce((sum, worker) => sum + cpu[worker.name], 0);
        rounds[kind].push({
          connections: result.ok,
          failed: result.failed,
          errors: result.errors,
          elapsedMs: result.elapsedMs,
          perSecond: result.perSecond,
          latencyMs: mergeLatency(result.workers),
          cpuMsPerHandshake: { server: cpu.server / result.ok, redis: cpu.redis / result.ok, auth: cpu.auth / result.ok, loadGenerators: loadCpuMs / result.ok },
        });
        await load.closeAll();
        await waitForSockets(target, (count) => count === 0);
      }
    }
  } finally {
    for (const server of Object.values(servers)) await services.stop(server);
  }
  const best = (kind) => rounds[kind].reduce((top, round) => (round.perSecond > top.perSecond ? round : top));
  const bests = Object.fromEntries(Object.keys(servers).map((kind) => [kind, best(kind)]));
  // Server CPU per handshake including the Redis time it causes (the user-written baseline also reads Redis).
  const serverCpu = (kind) => bests[kind].cpuMsPerHandshake.server + (kind === 'plain' ? 0 : bests[kind].cpuMsPerHandshake.redis);
  return {
    method:
      `${sizes.handshakeConnections} websocket connections per round, ${sizes.handshakeWorkers} load processes × ${sizes.handshakeConcurrency} handshakes in flight; ` +
      `${sizes.handshakeRounds} alternating round(s) per server, best round counted; sockets held open until the round ends. ` +
      'Servers: plain Socket.IO (no auth); the user-written baseline (the same server with an `io.use` that verifies the same ES256 token with ' +
      '`jsonwebtoken` and reads the session hash with one HGETALL), with the key as a PEM string and as a KeyObject created once; the gateway.',
    rounds,
    ...bests,
    ratio: bests.gateway.perSecond / bests.plain.perSecond,
    serverCpuRatio: serverCpu('plain') / serverCpu('gateway'),
    userWrittenRatio: bests.gateway.perSecond / bests.userKeyObject.perSecond,
    userWrittenPemRatio: bests.gateway.perSecond / bests.userPem.perSecond,
    userWrittenServerCpuRatio: serverCpu('userKeyObject') / serverCpu('gateway'),
  };
}

/** A few hundred connections first, so JIT warm-up and lazy initialisation are not measured. */
async function warmUp(ctx, target) {
  const count = Math.min(300, ctx.sessions.length);
  await ctx.load.connect({ targets: ctx.sessions.slice(0, count).map((session) => ({ url: target.url, auth: { token: session.token } })), total: count, workers: 1, concurrency: 16 });
  await ctx.load.closeAll();
  await waitForSockets(target, (count_) => count_ === 0);
}

/** Worker latency summaries combined conservatively: the worst p50/p99/max of the workers. */
function mergeLatency(workerResults) {
  const pick = (field) => Math.max(...workerResults.map((result) => result.latency[field] ?? 0));
  return { p50: pick('p50'), p99: pick('p99'), max: pick('max') };
}
