import { redisKeys } from '@app/contracts';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Launcher } from '../../test/support/launcher';
import { AuthApi } from './auth-api';
import { FaultInjector } from './faults';
import { Operations } from './operations';
import { evaluate, timelineOf, type Bounds, type Violation } from './oracle';
import { Random } from './random';
import { writeReport, type QuietCheck } from './report';
import { readSoakOptions, SoakUsageError, type SoakOptions } from './soak-options';
import { World, type Fault } from './world';

const ROOT = join(__dirname, '..', '..');
const GATEWAYS = ['gateway-1', 'gateway-2', 'gateway-3'];

/**
 * The cluster's settings for the soak: the defaults users run, except where the soak needs events to happen within
 * its minutes (short access tokens, so in-band refreshes and expiries happen all the time; a per-user limit with
 * eviction; a short drain; a shorter ping, so a vanished client is noticed within a quiet period) and where one
 * machine plays every client (the per-address limits, since every client comes from 127.0.0.1).
 */
const CLUSTER_ENV = {
  ACCESS_TOKEN_TTL: '30',
  AUTH_EXPIRY_WARNING: '10',
  MAX_CONNECTIONS_PER_USER: '8',
  CONNECTION_LIMIT_POLICY: 'evict_oldest',
  DRAIN_WINDOW: '2',
  RECHECK_INTERVAL: '30',
  HEARTBEAT_TTL: '15',
  SWEEP_INTERVAL: '10',
  REFRESH_REUSE_GRACE: '30',
  PING_INTERVAL: '10',
  PING_TIMEOUT: '5',
  LOGIN_LIMIT_PER_IP: '1000000',
  HANDSHAKE_LIMIT_PER_IP: '1000000',
  LOG_LEVEL: 'info',
};

const BOUNDS: Bounds = {
  pubsubMs: 1000,
  detectionMs: 3000,
  drainWindowMs: Number(CLUSTER_ENV.DRAIN_WINDOW) * 1000,
  reconnectMs: 30_000,
  registryConvergenceMs: (Number(CLUSTER_ENV.HEARTBEAT_TTL) + Number(CLUSTER_ENV.SWEEP_INTERVAL)) * 1000,
  maxConnectionsPerUser: Number(CLUSTER_ENV.MAX_CONNECTIONS_PER_USER),
  expiryWarningMs: Number(CLUSTER_ENV.AUTH_EXPIRY_WARNING) * 1000,
  deadClientMs: (Number(CLUSTER_ENV.PING_INTERVAL) + Number(CLUSTER_ENV.PING_TIMEOUT)) * 1000,
};

async function main(): Promise<number> {
  const options = readSoakOptions(process.argv.slice(2), ROOT);
  say(`soak: seed ${options.seed} (replay with --seed ${options.seed}), ${options.durationMs / 1000} s, ${options.users} users${options.quick ? ', quick' : ''}`);
  const admin = { username: 'soak-admin', password: randomBytes(18).toString('base64url') };
  const launcher = await Launcher.start({ env: { ...CLUSTER_ENV, ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password } });
  // Stopped from outside (Ctrl-C, a CI timeout): the cluster runs in process groups of its own, so stop it first.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`soak: ${signal}, stopping the cluster`);
      void launcher.kill().finally(() => process.exit(2));
    });
  }
  const redis = new Redis(redisUrlOf(launcher.printed()), { lazyConnect: false, maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // the soak restarts Redis on purpose; ioredis reconnects by itself
  let code = 2;
  try {
    code = await soak(options, launcher, redis, admin);
    return code;
  } finally {
    redis.disconnect();
    await launcher.kill({ keepData: code !== 0 });
    if (code !== 0) say(`soak: the cluster's logs are kept in ${launcher.dataDir}/logs and ${launcher.dataDir}/nginx/logs`);
  }
}

async function soak(options: SoakOptions, launcher: Launcher, redis: Redis, admin: { username: string; password: string }): Promise<number> {
  const startedAt = Date.now();
  const world = new World(options.users, options.seed.toString(36));
  const target = { url: launcher.url, origin: launcher.origin };
  const operations = new Operations(world, new AuthApi(launcher.url, launcher.origin), target, new Random(options.seed), {
    liveSessions: options.liveSessions,
    sessionLifetimeMs: options.sessionLifetimeMs,
    maxConnectionsPerUser: BOUNDS.maxConnectionsPerUser,
    refreshReuseGraceSeconds: Number(CLUSTER_ENV.REFRESH_REUSE_GRACE),
  }, admin);
  await operations.signInAdmin();
  const faults = new FaultInjector(launcher, redis, world, new Random(options.seed + 1), GATEWAYS, options.faultGapMs);
  const schedule = new Random(options.seed + 2);
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();

  const quietChecks: QuietCheck[] = [];
  const violations: Violation[] = [];
  const deadline = startedAt + options.durationMs;
  while (Date.now() < deadline) {
    const phaseEnd = Math.min(deadline, Date.now() + options.quietEveryMs);
    say(`soak: operations and faults until +${Math.round((phaseEnd - startedAt) / 1000)} s`);
    faults.start();
    while (Date.now() < phaseEnd) {
      operations.startOne();
      await delay(schedule.between(5, 45));
    }
    await faults.stop();
    const check = await quietCheck(quietChecks.length + 1, world, operations, redis, violations, startedAt);
    quietChecks.push(check);
    say(`soak: quiet check ${check.index}: registry ${check.convergedAt === undefined ? 'did NOT converge' : `matched the open sockets ${check.convergedAt - check.quietAt} ms into the quiet period`} (${check.sockets} sockets); ${world.sessions.length} sessions, ${world.faults.length} faults so far`);
  }
  const finishedAt = Date.now();
  loopDelay.disable();
  operations.closeAll();

  const launcherWasUp = launcher.running;
  await launcher.interrupt();
  violations.push(...world.anomalies.map((anomaly) => ({ invariant: anomaly.invariant as Violation['invariant'], at: anomaly.at, message: anomaly.message, timeline: timelineOf(world, anomaly.session, startedAt, undefined, anomaly.at) })));
  violations.push(...(await processViolations(launcher, world, launcherWasUp)));
  const logErrors = await errorsInLogs(join(launcher.dataDir, 'logs'), world.faults);
  violations.push(...logErrors.violations);
  const evaluation = evaluate(world, BOUNDS, startedAt);
  violations.push(...evaluation.violations);

  const files = await writeReport({
    options,
    startedAt,
    finishedAt,
    world,
    bounds: BOUNDS,
    clusterEnv: CLUSTER_ENV,
    evaluation,
    violations,
    quietChecks,
    logErrors: logErrors.errors,
    soakEventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
  });
  say(`soak: ${violations.length} violation${violations.length === 1 ? '' : 's'}; report: ${files.join(', ')}`);
  for (const violation of violations.slice(0, 5)) say(`  ${violation.invariant}: ${violation.message}\n    ${violation.timeline.slice(-12).join('\n    ')}`);
  return violations.length === 0 ? 0 : 1;
}

/**
 * I4 (and I3's "brought back"): with operations and faults stopped, every SDK client of a live session is
 * connected again, then the registry lists exactly the open sockets within HEARTBEAT_TTL + SWEEP_INTERVAL.
 */
async function quietCheck(index: number, world: World, operations: Operations, redis: Redis, violations: Violation[], startedAt: number): Promise<QuietCheck> {
  const quietAt = Date.now();
  await until(() => operations.running === 0, 30_000);
  if (!(await operations.settlePending())) violations.push({ invariant: 'I5', at: Date.now(), message: `quiet check ${index}: the outcome of an ending request stayed unknown after 10 cookie logouts`, timeline: [] });
  const settled = (client: World['clients'][number]) => client.finished || client.kind !== 'sdk' || (!client.session.end && client.connected);
  await until(() => world.clients.every(settled), BOUNDS.reconnectMs);
  for (const client of world.clients.filter((candidate) => !settled(candidate))) {
    const what = client.session.end ? 'still open after its session ended' : 'not connected again';
    violations.push({ invariant: client.session.end ? 'I1' : 'I3', at: Date.now(), message: `quiet check ${index}: an SDK client was ${what} ${BOUNDS.reconnectMs} ms into the quiet period`, timeline: timelineOf(world, client.session, startedAt, client, Date.now()) });
  }
  // A client that vanished without a word (a re-routed long-poll) is still a socket on its gateway until the ping
  // timeout: the registry rightly lists it until then, so the I4 clock starts after that too.
  const lastVanished = Math.max(0, ...world.clients.flatMap((client) => client.records.filter((record) => record.type === 'disconnected' && record.reason.startsWith('transport')).map((record) => record.t)));
  const settledAt = Math.max(Date.now(), lastVanished + BOUNDS.deadClientMs);
  const userIds = world.users.flatMap((user) => (user.id ? [user.id] : []));
  let last = { missing: [] as string[], stale: [] as string[], sockets: 0 };
  while (Date.now() <= settledAt + BOUNDS.registryConvergenceMs) {
    const expected = new Set(world.clients.filter((client) => client.connected).map((client) => client.socket.id ?? ''));
    const listed = new Set((await Promise.all(userIds.map((userId) => redis.hkeys(redisKeys.userSockets(userId))))).flat());
    last = { missing: [...expected].filter((id) => !listed.has(id)), stale: [...listed].filter((id) => !expected.has(id)), sockets: expected.size };
    if (last.missing.length === 0 && last.stale.length === 0) return { index, quietAt, settledAt, convergedAt: Date.now(), sockets: expected.size };
    await delay(250);
  }
  violations.push({
    invariant: 'I4',
    at: Date.now(),
    message: `quiet check ${index}: the registry still differs from the open sockets ${BOUNDS.registryConvergenceMs} ms after the clients settled: missing ${last.missing.slice(0, 5).join(', ')} (${last.missing.length}), stale ${last.stale.slice(0, 5).join(', ')} (${last.stale.length})`,
    timeline: [],
  });
  return { index, quietAt, settledAt, sockets: last.sockets, missing: last.missing.length, stale: last.stale.length };
}

/** I5: every exit the launcher reported was a fault the soak injected; the launcher itself ran to the end. */
async function processViolations(launcher: Launcher, world: World, launcherWasUp: boolean): Promise<Violation[]> {
  const violations: Violation[] = [];
  if (!launcherWasUp) violations.push({ invariant: 'I5', at: Date.now(), message: 'the launcher (npm start) exited during the soak', timeline: launcher.printed().split('\n').slice(-30) });
  const injected = new Map<string, number>();
  for (const fault of world.faults) if (fault.kind === 'gateway-kill' || fault.kind === 'gateway-drain' || fault.kind === 'redis-restart') injected.set(fault.target, (injected.get(fault.target) ?? 0) + 1);
  const exits = new Map<string, number>();
  for (const line of launcher.printed().split('\n')) {
    const match = /^(\S+) exited \(/.exec(line);
    if (match) exits.set(match[1], (exits.get(match[1]) ?? 0) + 1);
    if (/crashed \d+ times in a row/.test(line)) violations.push({ invariant: 'I5', at: Date.now(), message: line, timeline: [] });
  }
  for (const [service, count] of exits) {
    if (count > (injected.get(service) ?? 0)) violations.push({ invariant: 'I5', at: Date.now(), message: `${service} exited ${count} times; the soak ended it ${injected.get(service) ?? 0} times`, timeline: [] });
  }
  return violations;
}

export interface LogErrors {
  /** Error-level log lines by service and message, with how often each appeared. */
  errors: Array<{ service: string; message: string; count: number }>;
  violations: Violation[];
}

/**
 * Error-level lines a Redis outage causes by design: requests answered 503 while Redis is away (pino-http logs
 * every 5xx at level error). Any other error, or one of these outside a Redis fault, means a bug.
 */
const REDIS_OUTAGE_ERROR = /failed with status code 503/;
const REDIS_OUTAGE_SLACK_MS = 5000;

/**
 * I5: no error in any app's log, apart from the 503s of a Redis outage the soak caused: a fatal or uncaught error, an
 * error-level line (the apps log unexpected errors there, with their stack), or output outside the JSON log.
 */
async function errorsInLogs(logsDir: string, faults: readonly Fault[]): Promise<LogErrors> {
  const redisFaults = faults.filter((fault) => fault.kind === 'redis-restart');
  const duringRedisFault = (time: number) => redisFaults.some((fault) => time >= fault.at - REDIS_OUTAGE_SLACK_MS && time <= fault.recoveredAt + REDIS_OUTAGE_SLACK_MS);
  const errors = new Map<string, { service: string; message: string; count: number }>();
  const violations: Violation[] = [];
  for (const file of (await readdir(logsDir)).filter((name) => /^(auth|gateway-\d+)\.log$/.test(name))) {
    const service = file.replace(/\.log$/, '');
    for (const line of (await readFile(join(logsDir, file), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      const entry = parseLogLine(line);
      if (!entry) {
        violations.push({ invariant: 'I5', at: Date.now(), message: `${service} printed outside its JSON log: ${line.slice(0, 300)}`, timeline: [] });
        continue;
      }
      if (entry.level < 50) continue;
      const message = `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`.slice(0, 300);
      const key = `${service}\n${message}`;
      errors.set(key, { service, message, count: (errors.get(key)?.count ?? 0) + 1 });
      const expected = entry.level < 60 && REDIS_OUTAGE_ERROR.test(message) && entry.time !== undefined && duringRedisFault(entry.time);
      if (!expected) violations.push({ invariant: 'I5', at: entry.time ?? Date.now(), message: `${service}: ${message}`, timeline: [] });
    }
  }
  return { errors: [...errors.values()].sort((a, b) => b.count - a.count), violations };
}

function parseLogLine(line: string): { level: number; msg?: string; time?: number; err?: { message?: string } } | undefined {
  try {
    const entry = JSON.parse(line) as { level?: unknown };
    return typeof entry.level === 'number' ? (entry as { level: number }) : undefined;
  } catch {
    return undefined;
  }
}

function redisUrlOf(printed: string): string {
  const match = /redis: (redis:\/\/\S+)/.exec(printed);
  if (!match) throw new Error(`npm start printed no Redis URL:\n${printed}`);
  return match[1];
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await delay(100);
  }
  return true;
}

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(error instanceof SoakUsageError ? error.message : `soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(2);
  },
);
