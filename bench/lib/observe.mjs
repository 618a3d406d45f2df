/* global fetch, AbortSignal, WebSocket */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { summarize } from './stats.mjs';

/**
 * How long a server may take to answer /metrics or /stats. Generous: a gateway holding ~15,000 sockets on a
 * loaded 2-core machine once took more than 10 s (its Redis heartbeats were timing out at the same moment).
 */
const STATS_TIMEOUT_MS = 60_000;

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system, ms) and resident memory (bytes) of a process, from Linux /proc. */
export async function processUsage(pid) {
  const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')]);
  // Fields after the parenthesised command name: state(3) … utime(14) stime(15).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000;
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  return { cpuMs, rssBytes: rssKb * 1024 };
}

/** CPU ms used by each process between two `processUsage` snapshots, keyed like `before`. */
export function cpuDelta(before, after) {
  return Object.fromEntries(Object.keys(before).map((name) => [name, after[name].cpuMs - before[name].cpuMs]));
}

export async function usageOf(services) {
  const entries = await Promise.all(Object.entries(services).map(async ([name, service]) => [name, await processUsage(service.pid)]));
  return Object.fromEntries(entries);
}

/** Parses Prometheus text exposition into `name{labels}` → value (labels kept as written). */
export async function scrape(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(STATS_TIMEOUT_MS) });
  const text = await response.text();
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/** A Prometheus histogram's cumulative buckets `[{le, count}]`, sum and count. */
export function histogram(samples, name) {
  const buckets = [];
  for (const [key, value] of samples) {
    const match = new RegExp(`^${name}_bucket\\{.*le="([^"]+)".*\\}$`).exec(key);
    if (match) buckets.push({ le: match[1] === '+Inf' ? Infinity : Number(match[1]), count: value });
  }
  buckets.sort((a, b) => a.le - b.le);
  return { buckets, sum: samples.get(`${name}_sum`) ?? 0, count: samples.get(`${name}_count`) ?? 0 };
}

/** `after − before` of two histograms of the same series. */
export function histogramDelta(before, after) {
  return {
    buckets: after.buckets.map((bucket, index) => ({ le: bucket.le, count: bucket.count - (before.buckets[index]?.count ?? 0) })),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/**
 * The quantile as Prometheus' histogram_quantile() computes it: linear interpolation inside the bucket that
 * holds it. Only as precise as the buckets; `null` without observations.
 */
export function histogramQuantile(histogramValue, q) {
  const { buckets, count } = histogramValue;
  if (count === 0) return null;
  const rank = q * count;
  let previousLe = 0;
  let previousCount = 0;
  for (const { le, count: cumulative } of buckets) {
    if (cumulative >= rank) {
      if (le === Infinity) return previousLe;
      return previousLe + ((le - previousLe) * (rank - previousCount)) / Math.max(1, cumulative - previousCount);
    }
    previousLe = le;
    previousCount = cumulative;
  }
  return previousLe;
}

/** Connected sockets and V8 heap in use, as the server itself reports them (gateway: /metrics; baseline: /stats). */
export async function serverStats(service) {
  if (service.kind === 'plain') {
    const response = await fetch(`${service.url}/stats`, { signal: AbortSignal.timeout(STATS_TIMEOUT_MS) });
    const body = await response.json();
    return { sockets: body.sockets, heapUsed: body.heapUsed, heapTotal: body.heapTotal, newSpace: body.newSpace, external: body.external };
  }
  const samples = await scrape(`${service.url}/metrics`);
  return {
    sockets: samples.get('sessionwire_gateway_connected_sockets') ?? 0,
    heapUsed: samples.get('nodejs_heap_size_used_bytes') ?? 0,
    heapTotal: samples.get('nodejs_heap_size_total_bytes') ?? 0,
    newSpace: [...samples].find(([key]) => key.startsWith('nodejs_heap_space_size_total_bytes{space="new"'))?.[1] ?? 0,
    external: samples.get('nodejs_external_memory_bytes') ?? 0,
  };
}

/** A plain server's largest event-loop delay since the previous call (the call resets it). */
export async function largestLoopDelayMs(service) {
  const response = await fetch(`${service.url}/event-loop-delay`, { signal: AbortSignal.timeout(STATS_TIMEOUT_MS) });
  return (await response.json()).maxMs;
}

/** Polls the server until `predicate(sockets)` holds (there is no event to await across processes). */
export async function waitForSockets(service, predicate, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { sockets } = await serverStats(service);
    if (predicate(sockets)) return sockets;
    if (Date.now() > deadline) throw new Error(`${service.name}: ${sockets} sockets connected after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Redis `INFO commandstats` as {command: {calls, usec}}. */
export async function commandStats(redisUrl) {
  const client = new Redis(redisUrl);
  try {
    const text = await client.info('commandstats');
    const stats = {};
    for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) stats[match[1]] = { calls: Number(match[2]), usec: Number(match[3]) };
    return stats;
  } finally {
    client.disconnect();
  }
}

export function commandStatsDelta(before, after) {
  const delta = {};
  for (const [command, { calls, usec }] of Object.entries(after)) {
    const previous = before[command] ?? { calls: 0, usec: 0 };
    if (calls > previous.calls) delta[command] = { calls: calls - previous.calls, usec: usec - previous.usec };
  }
  return delta;
}

/**
 * A full garbage collection in a process started with `--inspect=127.0.0.1:0`, through the inspector protocol
 * (HeapProfiler.collectGarbage): heap "in use" then counts live objects only, not garbage V8 has not collected yet.
 * The inspector's address is the "Debugger listening on ws://…" line Node prints at start.
 */
export async function collectGarbage(service) {
  const address = /Debugger listening on (ws:\/\/\S+)/.exec(await readFile(service.logFile, 'utf8'))?.[1];
  if (!address) throw new Error(`${service.name} was not started with --inspect (no "Debugger listening" line in ${service.logFile})`);
  const socket = new WebSocket(address);
  try {
    await new Promise((resolve, reject) => {
      socket.onerror = () => reject(new Error(`${service.name}: could not reach the inspector at ${address}`));
      socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
      socket.onmessage = (event) => {
        const reply = JSON.parse(String(event.data));
        if (reply.id !== 1) return;
        if (reply.error) reject(new Error(`${service.name}: HeapProfiler.collectGarbage failed: ${reply.error.message}`));
        else resolve();
      };
    });
  } finally {
    socket.close();
  }
}

/** Rounds of `memoryAtRest`, each a forced collection, a settle and one reading. */
export const REST_ROUNDS = 3;
/** How long memory is left to settle after a forced collection before a reading (V8 releases pages lazily). */
export const REST_SETTLE_MS = 3000;
/** Pause between two rounds. */
const REST_GAP_MS = 4000;

/**
 * A server's memory at rest: REST_ROUNDS rounds of a full collection forced through the inspector, REST_SETTLE_MS
 * to settle and one reading of `{rssBytes, heapUsed, …}` (`read()`), and the median of each number over the rounds.
 * A gateway's session re-check pass (every 30 s; 0.3–3.5 s over 10,000–14,000 sockets here) allocates tens of MiB: when
 * one runs during a round's settle, V8's young generation grows to 32–64 MiB and the reading is 40–60 MiB higher (a
 * cost of the process for that second, not of its sockets). The rounds are 7 s apart, so a pass falls into at most one
 * of them and the median leaves it out; one reading after one collection, as before, counted it whenever it fell there.
 */
export async function memoryAtRest(service, read) {
  const readings = [];
  for (let round = 0; round < REST_ROUNDS; round++) {
    if (round > 0) await sleep(REST_GAP_MS);
    await collectGarbage(service);
    await sleep(REST_SETTLE_MS);
    readings.push(await read());
  }
  return Object.fromEntries(Object.keys(readings[0]).map((key) => [key, summarize(readings.map((reading) => reading[key])).p50]));
}
