#!/usr/bin/env node
// `npm run bench`: builds the apps and the packages they load, starts what the benchmarks need (redis-server, the auth service and gateways
// from dist/, plain Socket.IO baselines, load-generator processes), runs every scenario, writes
// bench/results/<date>.{json,md,png} and prints the Markdown table. Loopback only; everything it started is
// stopped on exit, on error and on Ctrl-C. Method and how to read the results: bench/README.md.
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { buildRunnable } from '../scripts/lib/build.mjs';
import { assertNodeVersion, ensureSystemBinaries } from '../scripts/lib/prerequisites.mjs';
import { latencyChartPng } from './lib/chart.mjs';
import { LoadPool } from './lib/load.mjs';
import { evaluateTargets, logoutLevels, renderMarkdown } from './lib/report.mjs';
import { ServiceSet } from './lib/services.mjs';
import { loginSessions, registerUsers } from './lib/sessions.mjs';
import { authThroughput } from './scenarios/auth-throughput.mjs';
import { forcedLogout } from './scenarios/forced-logout.mjs';
import { handshakeThroughput } from './scenarios/handshake.mjs';
import { memoryAndRecheck } from './scenarios/memory-and-recheck.mjs';
import { scale } from './scenarios/scale.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const SCENARIOS = ['handshake', 'memory', 'logout', 'scale', 'auth'];

/** Sizes of a full run (15–20 minutes on a quiet machine here) and of `--quick` (a 3–6 minute smoke run). */
const SIZES = {
  full: {
    users: 1000,
    handshakeConnections: 4000,
    handshakeRounds: 2,
    handshakeWorkers: 2,
    handshakeConcurrency: 32,
    memorySockets: 10_000,
    recheckIntervalS: 5,
    recheckPasses: 2,
    logoutLevels: [0, 10_000, 30_000],
    revocations: 200,
    probeWarmup: 5,
    scaleSockets: 100_000,
    scaleNodes: 7,
    leanSocketsPerWorker: 15_000,
    scaleConcurrency: 32,
    scaleIdleWindowS: 30,
    scaleRevocations: 200,
    authConcurrency: 8,
    authDurationMs: 10_000,
  },
  quick: {
    users: 50,
    handshakeConnections: 1000,
    handshakeRounds: 1,
    handshakeWorkers: 2,
    handshakeConcurrency: 32,
    memorySockets: 1500,
    recheckIntervalS: 3,
    recheckPasses: 2,
    logoutLevels: [0, 1000, 3000],
    revocations: 40,
    probeWarmup: 3,
    scaleSockets: 4000,
    scaleNodes: 2,
    leanSocketsPerWorker: 2000,
    scaleConcurrency: 32,
    scaleIdleWindowS: 5,
    scaleRevocations: 20,
    authConcurrency: 4,
    authDurationMs: 3000,
  },
};

/** The argon2 cost for the session pool and victims (scenario 5 measures the defaults on its own auth process). */
const CHEAP_ARGON2 = { ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' };

const USAGE = `Usage: npm run bench -- [--quick] [--only ${SCENARIOS.join(',')}] [--no-build] [--app-root DIR]

  --quick          small numbers, a 3–6 minute smoke run (use while developing)
  --only LIST      run only these scenarios (handshake = 1, memory = 2 and 4, logout = 3, scale = 6 (also the largest level of 3), auth = 5)
  --no-build       use the existing dist/ and libs/*/dist instead of building them first
  --app-root DIR   benchmark the dist/ of another checkout (e.g. a before/after comparison)
  --cpu-prof       write a V8 CPU profile of every gateway, auth and plain Socket.IO process to <log dir>/profiles

Writes bench/results/<date>.json, .md and .png (quick runs: bench/results/quick/) and prints the table.`;

function readOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'app-root': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const only = values.only ? values.only.split(',').map((name) => name.trim()) : SCENARIOS;
  const unknown = only.filter((name) => !SCENARIOS.includes(name));
  if (unknown.length > 0) throw new Error(`--only: unknown scenario(s) ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  return { quick: values.quick, only, build: !values['no-build'], appRoot: resolve(values['app-root'] ?? ROOT), cpuProfile: values['cpu-prof'] };
}

/** The commit measured, and any uncommitted change to the apps or libraries that the build included. */
function sourceInfo() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const changed = git('diff', '--name-only', 'HEAD', '--', 'apps', 'libs');
  const untracked = git('ls-files', '--others', '--exclude-standard', '--', 'apps', 'libs');
  return { commit: git('rev-parse', '--short', 'HEAD'), uncommitted: `${changed}\n${untracked}`.split('\n').filter(Boolean) };
}

function machineInfo(redisServer) {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown CPU',
    memoryBytes: totalmem(),
    node: process.version,
    os: `${type()} ${release()}`,
    redis: /v=([\d.]+)/.exec(spawnSync(redisServer, ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown',
    loadAverageStart: loadavg().map((value) => value.toFixed(2)),
  };
}

async function main() {
  const options = readOptions(process.argv.slice(2));
  assertNodeVersion();
  const sizes = SIZES[options.quick ? 'quick' : 'full'];
  const startedAt = new Date();
  const log = (message) => process.stdout.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

  if (options.build) {
    await buildRunnable({ clientBundle: false, log });
  }
  const { 'redis-server': redisServer } = ensureSystemBinaries(['redis-server'], log);
  const logDir = await mkdtemp(join(tmpdir(), 'sessionwire-bench-'));
  const services = new ServiceSet({ appRoot: options.appRoot, logDir, redisServer, cpuProfile: options.cpuProfile });
  const load = new LoadPool();
  const cleanUp = async () => {
    await load.stopAll();
    await services.stopAll();
  };
  // Last resort for any exit path (an uncaught error, process.exit): nothing may outlive the benchmark.
  process.on('exit', () => {
    load.killAllNow();
    services.killAllNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`${signal}: stopping everything`);
      cleanUp().finally(() => process.exit(130));
    });
  }

  const machine = machineInfo(redisServer);
  log(`logs of every process: ${logDir}`);
  const results = {
    version: 1,
    startedAt: startedAt.toISOString(),
    mode: options.quick ? 'quick' : 'full',
    machine,
    source: sourceInfo(),
    sizes,
    settings: [
      'HANDSHAKE_LIMIT_PER_IP=1000000 on gateways and LOGIN_LIMIT_PER_IP=1000000 on auth: every client comes from 127.0.0.1.',
      'ACCESS_TOKEN_TTL=3600: tokens minted during setup must outlive the run.',
      `ARGON2_MEMORY_KIB=${CHEAP_ARGON2.ARGON2_MEMORY_KIB} ARGON2_TIME_COST=${CHEAP_ARGON2.ARGON2_TIME_COST} on the auth service that creates the session pool and the forced-logout sessions (logins are argon2-bound); scenario 5 runs its own auth process with the default cost.`,
      `RECHECK_INTERVAL=${sizes.recheckIntervalS} and LOG_LEVEL=debug on the gateway of scenario 4 only (to observe re-check passes; scenario 2 measures a gateway with the defaults); every other gateway runs the defaults.`,
      'Redis as `npm start` runs it: AOF on (fsync every second), no RDB snapshots; one Redis for everything.',
    ],
    scenarios: {},
  };

  try {
    const redis = await services.startRedis();
    const auth = await services.startAuth('auth', { redisUrl: redis.url, env: CHEAP_ARGON2 });
    const ctx = {
      sizes,
      services,
      load,
      redis,
      auth,
      log,
      startGateway: async (nodeId, env = {}, nodeArgs = []) => ({ ...(await services.startGateway(nodeId, { redisUrl: redis.url, authUrl: auth.url, env, nodeArgs })), kind: 'gateway' }),
      startPlain: async (name, plainOptions = {}) => ({ ...(await services.startPlain(name, plainOptions)), kind: 'plain' }),
    };
    // The pool backs every background socket; beyond its size sockets share sessions (scale: 10 per session).
    const poolSize = Math.max(
      options.only.includes('memory') ? sizes.memorySockets : 0,
      options.only.includes('handshake') ? sizes.handshakeConnections : 0,
      options.only.includes('logout') || options.only.includes('scale') ? sizes.memorySockets : 0,
      300,
    );
    const victimCount =
      (options.only.includes('logout') ? sizes.logoutLevels.length * (sizes.revocations + sizes.probeWarmup) : 0) +
      (options.only.includes('scale') ? sizes.scaleRevocations + sizes.probeWarmup : 0);
    log(`setup: ${sizes.users} users, ${poolSize} pooled sessions and ${victimCount} sessions to revoke (cheap argon2)`);
    const users = await registerUsers(auth.url, 'bench', sizes.users);
    ctx.sessions = await loginSessions(auth.url, users, poolSize, 8);
    ctx.victims = await loginSessions(auth.url, users, victimCount, 8);
    // The user-written baseline checks the tokens the auth service issues: the same issuer and audience.
    const claims = JSON.parse(Buffer.from(ctx.sessions[0].token.split('.')[1], 'base64url').toString('utf8'));
    ctx.startUserWritten = (name, keyForm) =>
      ctx.startPlain(name, {
        env: { AUTH_KEY_FORM: keyForm, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`, SESSION_REDIS_URL: redis.url, JWT_ISSUER: claims.iss, JWT_AUDIENCE: claims.aud },
      });

    if (options.only.includes('handshake')) results.scenarios.handshake = await handshakeThroughput(ctx);
    if (options.only.includes('memory')) Object.assign(results.scenarios, await memoryAndRecheck(ctx));
    if (options.only.includes('logout')) results.scenarios.forcedLogout = await forcedLogout(ctx);
    if (options.only.includes('scale')) results.scenarios.scale = await scale(ctx);
    if (options.only.includes('auth')) results.scenarios.auth = await authThroughput(ctx);
  } finally {
    await cleanUp();
  }

  results.finishedAt = new Date().toISOString();
  results.durationS = (Date.now() - startedAt.getTime()) / 1000;
  machine.loadAverageEnd = loadavg().map((value) => value.toFixed(2));
  results.targets = evaluateTargets(results);

  const outDir = join(import.meta.dirname, 'results', options.quick ? 'quick' : '');
  await mkdir(outDir, { recursive: true });
  const stem = startedAt.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const chartFile = `${stem}.png`;
  const levels = logoutLevels(results);
  if (levels.length > 0) {
    const panels = levels.map((level) => ({ background: level.background, nodes: level.nodes, system: level.system.latencyMs, adapter: level.adapter?.latencyMs, floor: level.system.floorMs }));
    await writeFile(join(outDir, chartFile), latencyChartPng({ levels: panels, title: `Forced-logout latency (${results.mode} run, ${stem})` }));
  }
  const markdown = renderMarkdown(results, chartFile);
  await writeFile(join(outDir, `${stem}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, `${stem}.md`), markdown);
  process.stdout.write(`\n${markdown}\n`);
  log(`wrote ${join(outDir, stem)}.{json,md${levels.length > 0 ? ',png' : ''}}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
