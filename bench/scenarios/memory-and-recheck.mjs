import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { commandStats, commandStatsDelta, memoryAtRest, processUsage, REST_ROUNDS, REST_SETTLE_MS, serverStats, waitForSockets } from '../lib/observe.mjs';
import { summarize } from '../lib/stats.mjs';

/** The servers' inspector, only to force a full collection before each measurement. */
const INSPECT = ['--inspect=127.0.0.1:0'];

/**
 * Scenario 2: memory per idle authenticated socket on one gateway at N sockets, against plain Socket.IO with
 * the same N. Each process is fresh, warmed up with a few hundred connections, then measured before and after
 * N sockets connect, each time at rest (`memoryAtRest`: medians of readings after full collections forced through the
 * inspector): RSS from /proc/<pid>/status, V8 heap in use and reserved from the server itself.
 *
 * Scenario 4 runs on a second gateway afterwards (defaults but RECHECK_INTERVAL, shortened, and debug logging):
 * N sockets connect and stay while SessionRecheck runs on its interval; each pass logs its duration, and Redis
 * INFO commandstats between two passes gives the commands one pass sends.
 */
export async function memoryAndRecheck(ctx) {
  const { sizes } = ctx;
  const plain = await ctx.startPlain('mem-plain', { nodeArgs: INSPECT });
  let plainResult;
  try {
    plainResult = await memoryPerSocket(ctx, plain, sizes.memorySockets);
  } finally {
    await ctx.load.closeAll();
    await ctx.services.stop(plain);
  }
  // Measured with the defaults: scenario 4's short interval and debug logging keep the allocation rate up, and V8
  // then keeps a grown young generation that would be counted as memory per socket.
  const gateway = await ctx.startGateway('mem-gateway', {}, INSPECT);
  let gatewayResult;
  try {
    gatewayResult = await memoryPerSocket(ctx, gateway, sizes.memorySockets);
  } finally {
    await ctx.load.closeAll();
    await ctx.services.stop(gateway);
  }
  const recheckGateway = await ctx.startGateway('recheck-gateway', { RECHECK_INTERVAL: String(sizes.recheckIntervalS), LOG_LEVEL: 'debug' });
  let recheck;
  try {
    const connect = await ctx.load.connect({ targets: targetsFor(ctx, recheckGateway, sizes.memorySockets), total: sizes.memorySockets, workers: 2, concurrency: sizes.handshakeConcurrency });
    if (connect.failed > 0) throw new Error(`${recheckGateway.name}: ${connect.failed} of ${sizes.memorySockets} sockets failed to connect: ${JSON.stringify(connect.errors)}`);
    await waitForSockets(recheckGateway, (sockets) => sockets === sizes.memorySockets);
    recheck = await recheckSweep(ctx, recheckGateway);
  } finally {
    await ctx.load.closeAll();
    await ctx.services.stop(recheckGateway);
  }
  return {
    memory: {
      method:
        `fresh process (started with --inspect), 300 connections opened and closed to warm up; before and after ${sizes.memorySockets} idle sockets connect: ` +
        `${REST_ROUNDS} rounds of a full collection forced through the inspector, ${REST_SETTLE_MS / 1000} s settle and one reading, medians (a re-check pass falls into one round at most) ` +
        `(RSS from /proc/<pid>/status; heap in use, heap reserved by V8 and external memory from the server).`,
      sockets: sizes.memorySockets,
      gateway: gatewayResult,
      plain: plainResult,
      rssRatio: gatewayResult.rssPerSocket / plainResult.rssPerSocket,
      heapRatio: gatewayResult.heapPerSocket / plainResult.heapPerSocket,
    },
    recheck,
  };
}

async function memoryPerSocket(ctx, target, count) {
  const warm = Math.min(300, ctx.sessions.length);
  await ctx.load.connect({ targets: targetsFor(ctx, target, warm), total: warm, workers: 1, concurrency: 16 });
  await ctx.load.closeAll();
  await waitForSockets(target, (sockets) => sockets === 0);
  const before = await sampleMemory(target);
  ctx.log(`memory: ${target.name}, ${count} sockets`);
  const connect = await ctx.load.connect({ targets: targetsFor(ctx, target, count), total: count, workers: 2, concurrency: ctx.sizes.handshakeConcurrency });
  if (connect.failed > 0) throw new Error(`${target.name}: ${connect.failed} of ${count} sockets failed to connect: ${JSON.stringify(connect.errors)}`);
  await waitForSockets(target, (sockets) => sockets === count);
  const after = await sampleMemory(target);
  return {
    before,
    after,
    rssPerSocket: (after.rssBytes - before.rssBytes) / count,
    heapPerSocket: (after.heapUsed - before.heapUsed) / count,
    connectPerSecond: connect.perSecond,
  };
}

/** One socket per session where the pool allows (the re-check's cost depends on distinct sessions). */
function targetsFor(ctx, target, count) {
  return ctx.sessions.slice(0, count).map((session) => ({ url: target.url, auth: { token: session.token } }));
}

async function sampleMemory(target) {
  return memoryAtRest(target, async () => {
    const [usage, server] = await Promise.all([processUsage(target.pid), serverStats(target)]);
    return {
      rssBytes: usage.rssBytes,
      heapUsed: server.heapUsed,
      // What V8 holds for its heap (in use or not; RSS counts it) and memory outside it (Buffers).
      heapTotal: server.heapTotal,
      // The young generation: V8 grows it while allocation is fast (handshakes) and keeps it; a cost per process, not per socket.
      newSpace: server.newSpace,
      external: server.external,
    };
  });
}

/**
 * Waits for re-check passes over the connected sockets and reads, for each, its logged duration and the Redis
 * commands between the end of the previous pass and the end of this one (one pass, plus the node's heartbeat
 * and dead-node sweep, listed separately).
 */
async function recheckSweep(ctx, gateway) {
  const { sizes } = ctx;
  const sockets = sizes.memorySockets;
  ctx.log(`re-check: waiting for ${sizes.recheckPasses} passes over ${sockets} sockets (RECHECK_INTERVAL=${sizes.recheckIntervalS})`);
  const passes = [];
  // Passes logged while memory was being measured do not count: wait for the next one.
  let previous = await nextPass(gateway, sockets, (await passesLogged(gateway, sockets)).length);
  let statsBefore = await commandStats(ctx.redis.url);
  const cpuBefore = await processUsage(gateway.pid);
  let cpuAt = cpuBefore;
  let redisCpuAt = await processUsage(ctx.redis.pid);
  while (passes.length < sizes.recheckPasses) {
    const pass = await nextPass(gateway, sockets, previous.index + 1);
    const [statsAfter, cpuNow, redisCpuNow] = await Promise.all([commandStats(ctx.redis.url), processUsage(gateway.pid), processUsage(ctx.redis.pid)]);
    const commands = commandStatsDelta(statsBefore, statsAfter);
    // The benchmark's own INFO, and the HELLO of its short-lived connection.
    delete commands.info;
    delete commands.hello;
    passes.push({ ...pass.entry, commands, windowCpuMs: cpuNow.cpuMs - cpuAt.cpuMs, redisCpuMs: redisCpuNow.cpuMs - redisCpuAt.cpuMs });
    statsBefore = statsAfter;
    cpuAt = cpuNow;
    redisCpuAt = redisCpuNow;
    previous = pass;
  }
  const durations = passes.map((pass) => pass.durationMs);
  const sum = (pick) => passes.reduce((total, pass) => total + pick(pass), 0) / passes.length;
  const calls = (command) => sum((pass) => pass.commands[command]?.calls ?? 0);
  const usec = (command) => sum((pass) => pass.commands[command]?.usec ?? 0);
  return {
    method:
      `one gateway with ${sockets} idle sockets of ${passes[0]?.sessions ?? '?'} sessions, RECHECK_INTERVAL=${sizes.recheckIntervalS} s (default 30); ` +
      `duration from the gateway's own "Session re-check done" log line; Redis commands from INFO commandstats between the ends of two passes (a command a script runs ` +
      `counts as a call of its own too, and its time also counts in the script's, so the Redis CPU column is the redis-server process's CPU time from /proc over the same span, ` +
      `in 10 ms clock ticks).`,
    sockets,
    sessions: passes[0]?.sessions,
    passes,
    durationMs: summarize(durations),
    perPass: {
      exists: calls('exists'),
      hgetall: calls('hgetall'),
      allCommands: sum((pass) => Object.values(pass.commands).reduce((total, entry) => total + entry.calls, 0)),
      redisCpuMs: sum((pass) => pass.redisCpuMs),
      existsUsec: usec('exists'),
      hgetallUsec: usec('hgetall'),
    },
  };
}

/** The "Session re-check done" entries logged so far for passes over `sockets` sockets. */
async function passesLogged(gateway, sockets) {
  return (await readFile(gateway.logFile, 'utf8'))
    .split('\n')
    .filter((line) => line.includes('"Session re-check done"'))
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.sockets === sockets);
}

/** The `index`-th "Session re-check done" line (0-based) that covered `sockets` sockets, once logged. */
async function nextPass(gateway, sockets, index) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const entries = await passesLogged(gateway, sockets);
    if (entries.length > index) return { index, entry: { durationMs: entries[index].durationMs, sessions: entries[index].sessions, sockets: entries[index].sockets } };
    if (Date.now() > deadline) throw new Error(`${gateway.name} logged no re-check pass over ${sockets} sockets within 120 s (is LOG_LEVEL=debug and the log line built?)`);
    await sleep(250);
  }
}
