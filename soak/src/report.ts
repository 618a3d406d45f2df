import { Resvg } from '@resvg/resvg-js';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { summarize, type Summary } from '../../bench/lib/stats.mjs';
import type { Bounds, ClosePath, Evaluation, Violation } from './oracle';
import type { SoakOptions } from './soak-options';
import type { FaultKind, World } from './world';

export interface QuietCheck {
  index: number;
  quietAt: number;
  settledAt: number;
  /** When the registry first listed exactly the open sockets; undefined when it did not in time (an I4 violation). */
  convergedAt?: number;
  sockets: number;
  missing?: number;
  stale?: number;
}

export interface SoakRun {
  options: SoakOptions;
  startedAt: number;
  finishedAt: number;
  world: World;
  bounds: Bounds;
  clusterEnv: Record<string, string>;
  evaluation: Evaluation;
  violations: Violation[];
  quietChecks: QuietCheck[];
  logErrors: Array<{ service: string; message: string; count: number }>;
  soakEventLoopDelayP99Ms: number;
}

const PATHS: Array<{ path: ClosePath; label: string; color: string }> = [
  { path: 'pubsub', label: 'pub/sub (user-logged-out)', color: '#2563eb' },
  { path: 'recheck', label: 're-check (a fault hid the message)', color: '#dc2626' },
  { path: 'expiry', label: 'expiry (token exp → socket closed)', color: '#16a34a' },
];

/** Writes `<resultsDir>/<date>.{json,md,png}` and resolves with their paths. */
export async function writeReport(run: SoakRun): Promise<string[]> {
  await mkdir(run.options.resultsDir, { recursive: true });
  const stamp = new Date(run.startedAt).toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const base = join(run.options.resultsDir, stamp);
  const summary = summaryOf(run);
  await writeFile(`${base}.json`, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(`${base}.png`, latencyChart(run.evaluation.latencies, `Revoke → socket closed, ${summary.sessions.created.toLocaleString('en-US')} sessions, ${run.world.faults.length} faults (seed ${run.options.seed})`));
  await writeFile(`${base}.md`, markdown(run, summary, `${stamp}.png`));
  return [`${base}.md`, `${base}.json`, `${base}.png`];
}

function summaryOf(run: SoakRun) {
  const { world, evaluation } = run;
  const faults: Partial<Record<FaultKind, { count: number; recoveryMs: Summary }>> = {};
  for (const kind of new Set(world.faults.map((fault) => fault.kind))) {
    const ofKind = world.faults.filter((fault) => fault.kind === kind);
    faults[kind] = { count: ofKind.length, recoveryMs: summarize(ofKind.map((fault) => fault.recoveredAt - fault.at)) };
  }
  const endedBy: Record<string, number> = {};
  for (const session of world.sessions) if (session.end) endedBy[session.end.operation] = (endedBy[session.end.operation] ?? 0) + 1;
  const records = world.clients.flatMap((client) => client.records);
  const countOf = (predicate: (record: (typeof records)[number]) => boolean) => records.filter(predicate).length;
  return {
    seed: run.options.seed,
    replay: `npm run soak -- --seed ${run.options.seed}${run.options.quick ? ' --quick' : ''} --duration ${run.options.durationMs / 1000}s --users ${run.options.users} --live-sessions ${run.options.liveSessions}`,
    commit: gitCommit(),
    machine: { cpus: cpus().length, node: process.version },
    startedAt: new Date(run.startedAt).toISOString(),
    durationSeconds: Math.round((run.finishedAt - run.startedAt) / 1000),
    verdict: run.violations.length === 0 ? 'held' : 'violated',
    violationCount: run.violations.length,
    clusterEnv: run.clusterEnv,
    bounds: run.bounds,
    operations: Object.fromEntries([...world.operations.entries()].sort()),
    faults,
    faultCount: world.faults.length,
    sessions: { created: world.sessions.length, ended: Object.values(endedBy).reduce((sum, count) => sum + count, 0), endedBy, users: world.users.filter((user) => user.id).length },
    sockets: {
      clients: { sdk: world.clients.filter((client) => client.kind === 'sdk').length, expiring: world.clients.filter((client) => client.kind === 'expiring').length, probes: world.clients.filter((client) => client.kind === 'probe').length },
      connections: countOf((record) => record.type === 'connected'),
      reconnects: countOf((record) => record.type === 'reconnecting'),
      inBandRefreshes: countOf((record) => record.type === 'tokenRefreshed'),
      evictions: countOf((record) => record.type === 'event' && record.event === 'session:ended' && record.reason === 'evicted'),
      refusedHandshakes: countOf((record) => record.type === 'refused'),
      eventsReceived: countOf((record) => record.type === 'event'),
      closedByFault: evaluation.closedByFault,
    },
    latencyMs: Object.fromEntries(PATHS.map(({ path }) => [path, summarize(evaluation.latencies[path])])) as Record<ClosePath, Summary>,
    quietChecks: run.quietChecks,
    soakEventLoopDelayP99Ms: Math.round(run.soakEventLoopDelayP99Ms),
    logErrors: run.logErrors,
    violations: run.violations,
  };
}

type Summarized = ReturnType<typeof summaryOf>;

function markdown(run: SoakRun, summary: Summarized, chartFile: string): string {
  const { bounds } = run;
  const ms = (value: number | null) => (value === null ? '–' : `${Math.round(value).toLocaleString('en-US')}`);
  const lines = [
    `# Revocation conformance soak: ${summary.verdict === 'held' ? 'the promise held' : `${summary.violationCount} VIOLATIONS`}`,
    '',
    `Seed **${summary.seed}**, ${summary.durationSeconds} s, commit ${summary.commit}, ${summary.machine.cpus} cores, Node ${summary.machine.node}, started ${summary.startedAt}.`,
    `Replay the schedule: \`${summary.replay}\`.`,
    '',
    'Redis, auth, 3 gateways and nginx ran under `npm start` (the supervised launcher); every client went through nginx:',
    'the client SDK over the official socket.io-client (token and cookie credentials, WebSocket and long-polling), plus',
    'bare socket.io-client sockets holding a token until it expires and probes with the credentials of ended sessions.',
    '',
    '## Invariants',
    '',
    '| | invariant | violations |',
    '| --- | --- | --- |',
    ...(
      [
        ['I1', `after a session ends, each of its sockets is closed within ${bounds.pubsubMs} ms of the ending call's answer (pub/sub path), or within ${bounds.detectionMs / 1000} s of the recovery of a fault that could hide the message or hold the node; nothing reaches it after its \`session:ended\``],
        ['I2', 'an ended session never completes a handshake again'],
        ['I3', `a live session's sockets are dropped only by faults, drains or the per-user limit, and the SDK is connected again within ${bounds.reconnectMs / 1000} s of the fault`],
        ['I4', `after a quiet period the registry lists exactly the open sockets within HEARTBEAT_TTL + SWEEP_INTERVAL (${bounds.registryConvergenceMs / 1000} s)`],
        ['I5', 'no process exits unless the soak killed it, the launcher runs to the end, and no unhandled error appears in any log'],
      ] as const
    ).map(([id, text]) => `| ${id} | ${text} | ${run.violations.filter((violation) => violation.invariant === id).length} |`),
    '',
    '## Revoke → socket closed',
    '',
    `![latency](${chartFile})`,
    '',
    'From the ending HTTP call being sent (or the token\'s `exp`) to the client seeing its socket end; milliseconds.',
    '',
    '| path | sockets | p50 | p90 | p99 | max |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...PATHS.map(({ path, label }) => {
      const s = summary.latencyMs[path];
      return `| ${label} | ${s.count.toLocaleString('en-US')} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} |`;
    }),
    '',
    `${summary.sockets.closedByFault} sockets of ending sessions were closed by the death or drain of their gateway first (no latency sample).`,
    '',
    ...PATHS.flatMap(({ path, label }) => {
      const slowest = run.evaluation.slowest[path];
      return slowest ? [`<details><summary>The slowest ${label} closure: ${ms(slowest.ms)} ms</summary>`, '', '```', ...slowest.timeline, '```', '</details>', ''] : [];
    }),
    `The soak process's own event-loop delay p99: ${summary.soakEventLoopDelayP99Ms} ms (it delays every observation above by up to that much).`,
    '',
    '## What ran',
    '',
    `Sessions: ${summary.sessions.created.toLocaleString('en-US')} created by ${summary.sessions.users} users, ${summary.sessions.ended.toLocaleString('en-US')} ended (${Object.entries(summary.sessions.endedBy).map(([kind, count]) => `${kind} ${count}`).join(', ')}).`,
    `Sockets: ${summary.sockets.clients.sdk} SDK clients, ${summary.sockets.clients.expiring} expiring sockets, ${summary.sockets.clients.probes} probes; ${summary.sockets.connections.toLocaleString('en-US')} connections, ${summary.sockets.reconnects.toLocaleString('en-US')} reconnection attempts, ${summary.sockets.inBandRefreshes.toLocaleString('en-US')} in-band refreshes, ${summary.sockets.evictions} evictions, ${summary.sockets.refusedHandshakes.toLocaleString('en-US')} refused handshakes, ${summary.sockets.eventsReceived.toLocaleString('en-US')} events received.`,
    '',
    '| operation | started | succeeded | refused | no answer / 5xx |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(summary.operations).map(([kind, counts]) => `| ${kind} | ${counts.started} | ${counts.succeeded} | ${counts.refused} | ${counts.indefinite} |`),
    '',
    '"refused" counts the answers the model expects too (e.g. refresh reuse answers 401 by design); only answers the',
    'model did not allow are violations. Socket operations (connect, chatter, dm…) have no HTTP answer.',
    '',
    `| fault (${summary.faultCount} in all) | count | recovery p50 (ms) | recovery max (ms) |`,
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(summary.faults).map(([kind, entry]) => `| ${kind} | ${entry.count} | ${ms(entry.recoveryMs.p50)} | ${ms(entry.recoveryMs.max)} |`),
    '',
    '## Registry convergence (I4)',
    '',
    `Operations and faults stop; once every SDK client of a live session is connected again and a vanished client's`,
    `ping timeout has passed ("settled"), the registry must list exactly the open sockets within ${bounds.registryConvergenceMs / 1000} s.`,
    '',
    '| quiet check | open sockets | settled (ms into the quiet period) | registry matched (ms into the quiet period) |',
    '| ---: | ---: | ---: | ---: |',
    ...summary.quietChecks.map(
      (check) =>
        `| ${check.index} | ${check.sockets} | ${ms(check.settledAt - check.quietAt)} | ${check.convergedAt === undefined ? `NO (missing ${check.missing}, stale ${check.stale})` : ms(check.convergedAt - check.quietAt)} |`,
    ),
    '',
    '## Cluster settings',
    '',
    'Defaults except: ' + Object.entries(summary.clusterEnv).map(([name, value]) => `\`${name}=${value}\``).join(', ') + '.',
    'Short access tokens make in-band refreshes and expiries happen within minutes; the per-address limits are raised',
    'because every simulated client shares 127.0.0.1.',
    '',
    '## Errors in the app logs',
    '',
    summary.logErrors.length === 0
      ? 'None at level error or above.'
      : 'Lines at level error or above. Only the 503 answers of requests made while Redis restarted are expected; any other is a violation (I5):',
    '',
    ...summary.logErrors.map((entry) => `- ${entry.service}: ${entry.message} (${entry.count}×)`),
    '',
    '## Violations',
    '',
    ...(run.violations.length === 0
      ? ['None.']
      : run.violations.slice(0, 50).flatMap((violation) => [`### ${violation.invariant}: ${violation.message}`, '', '```', ...violation.timeline, '```', ''])),
    '',
  ];
  return lines.join('\n');
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const CHART = { width: 760, height: 420, left: 70, right: 48, top: 60, bottom: 110 };

/** The latency distribution of each path (cumulative share of sockets against milliseconds, log scale) as a PNG. */
function latencyChart(latencies: Record<ClosePath, number[]>, title: string): Buffer {
  const all = PATHS.flatMap(({ path }) => latencies[path]).filter((value) => value > 0);
  const minLog = Math.floor(Math.log10(Math.max(1, Math.min(...all, 10))));
  const maxLog = Math.ceil(Math.log10(Math.max(...all, 100)));
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  const x = (ms: number) => CHART.left + ((Math.log10(Math.max(ms, 10 ** minLog)) - minLog) / (maxLog - minLog)) * plotWidth;
  const y = (share: number) => CHART.top + plotHeight - share * plotHeight;
  const parts = [`<rect width="${CHART.width}" height="${CHART.height}" fill="#ffffff"/>`, label(CHART.width / 2, 28, title, 14, 'middle', 'bold')];
  for (let exponent = minLog; exponent <= maxLog; exponent++) {
    parts.push(`<line x1="${x(10 ** exponent)}" y1="${CHART.top}" x2="${x(10 ** exponent)}" y2="${CHART.top + plotHeight}" stroke="#e5e7eb"/>`);
    parts.push(label(x(10 ** exponent), CHART.top + plotHeight + 16, `${10 ** exponent} ms`, 11, 'middle'));
  }
  for (const share of [0, 0.5, 0.9, 1]) {
    parts.push(`<line x1="${CHART.left}" y1="${y(share)}" x2="${CHART.left + plotWidth}" y2="${y(share)}" stroke="#e5e7eb"/>`);
    parts.push(label(CHART.left - 6, y(share) + 4, `${share * 100}%`, 11, 'end'));
  }
  PATHS.forEach(({ path, label: name, color }, index) => {
    const sorted = [...latencies[path]].sort((a, b) => a - b);
    if (sorted.length > 0) {
      const points = sorted.map((value, rank) => `${x(value).toFixed(1)},${y((rank + 1) / sorted.length).toFixed(1)}`);
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${x(sorted[0]).toFixed(1)},${y(0)} ${points.join(' ')}"/>`);
    }
    const legendY = CHART.top + plotHeight + 44 + index * 18;
    parts.push(`<rect x="${CHART.left}" y="${legendY - 10}" width="12" height="12" fill="${color}"/>`);
    parts.push(label(CHART.left + 18, legendY, `${name}: ${sorted.length.toLocaleString('en-US')} sockets`, 12));
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART.width}" height="${CHART.height}">${parts.join('')}</svg>`;
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: 2 } }).render().asPng();
}

function label(x: number, y: number, content: string, size: number, anchor: 'start' | 'middle' | 'end' = 'start', weight = 'normal'): string {
  const escaped = content.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
  return `<text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="${size}" font-weight="${weight}" fill="#111" text-anchor="${anchor}">${escaped}</text>`;
}
