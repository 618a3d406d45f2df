#!/usr/bin/env node
// `npm start`: builds the apps, then runs the local cluster (Redis, auth, N gateway replicas, nginx on one
// public port) in the foreground until Ctrl-C. Usage and environment: `npm start -- --help`, docs/ops-notes.md.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { buildApps, buildClientBundle, CLIENT_BUNDLE_DIR, CLIENT_BUNDLE_FILE } from './lib/build.mjs';
import { echoNotableLine, say } from './lib/console.mjs';
import { assertPortFree, freePort } from './lib/net.mjs';
import { nginxArgs, testNginxConfig, writeLocalNginxConfig } from './lib/nginx.mjs';
import { assertNodeVersion, ensureSystemBinaries, findExecutable, MissingPrerequisiteError } from './lib/prerequisites.mjs';
import { PidFile, startService, stopService } from './lib/processes.mjs';
import { waitForHttpOk, waitForOutput } from './lib/readiness.mjs';
import { DEV_CERTIFICATE_NAMES, ensureDevCertificate } from './lib/tls.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const DATA = join(ROOT, '.data');
const PATHS = {
  redisDir: join(DATA, 'redis'),
  redisClusterDir: join(DATA, 'redis-cluster'),
  logs: join(DATA, 'logs'),
  nginxPrefix: join(DATA, 'nginx'),
  adminPassword: join(DATA, 'admin-password'),
  pids: join(DATA, 'cluster.pids'),
  tls: join(DATA, 'tls'),
  nginxTemplate: join(ROOT, 'nginx/nginx.conf.template'),
  demoRoot: join(ROOT, 'nginx/demo'),
  authMain: 'dist/apps/auth/apps/auth/src/main.js',
  gatewayMain: 'dist/apps/gateway/apps/gateway/src/main.js',
};
const READY_TIMEOUT_MS = 60_000;
const HOST = '127.0.0.1';

const REDIS_CLUSTER_MASTERS = 3;

const USAGE = `Usage: npm start -- [--gateways N] [--port N] [--tls] [--redis-cluster] [--no-build]

  --gateways N   gateway replicas to run (default 3, or env GATEWAYS); 0 runs auth + nginx only
  --port N       public port nginx listens on, on ${HOST} (default 8080, or env PORT)
  --tls          serve https and wss on that port, with a self-signed certificate for localhost and
                 127.0.0.1 kept in .data/tls/ (generated with openssl on first use)
  --redis-cluster
                 a local Redis Cluster (${REDIS_CLUSTER_MASTERS} masters, redis-server --cluster-enabled yes, joined
                 with redis-cli --cluster create) instead of the single Redis; the apps run on
                 REDIS_TOPOLOGY=cluster. Its data lives in .data/redis-cluster/ for this run only
  --no-build     start from the existing dist/ (default: build both apps first)

Environment: REDIS_URL=redis://… uses that Redis instead of starting one under .data/redis.
Other variables (LOG_LEVEL, ARGON2_*, …) are passed through to the apps.`;

/** Command line and environment, validated; a bad value stops here with the usage text. */
function readOptions(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      gateways: { type: 'string', default: env.GATEWAYS || '3' },
      port: { type: 'string', default: env.PORT || '8080' },
      tls: { type: 'boolean', default: false },
      'redis-cluster': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    say(USAGE);
    process.exit(0);
  }
  const gateways = Number(values.gateways);
  const port = Number(values.port);
  if (!Number.isInteger(gateways) || gateways < 0 || gateways > 32) throw new UsageError(`--gateways must be 0..32 (got "${values.gateways}")`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be 1..65535 (got "${values.port}")`);
  if (values['redis-cluster'] && env.REDIS_URL) throw new UsageError('--redis-cluster starts its own Redis Cluster: unset REDIS_URL, or drop the flag');
  return { gateways, port, tls: values.tls, redisCluster: values['redis-cluster'], build: !values['no-build'], externalRedisUrl: env.REDIS_URL || undefined };
}

class UsageError extends Error {
  name = 'UsageError';
}

/** The generated admin password, kept in .data/admin-password (mode 600) so every run can print it. */
async function adminPassword() {
  if (existsSync(PATHS.adminPassword)) {
    await chmod(PATHS.adminPassword, 0o600);
    return { password: (await readFile(PATHS.adminPassword, 'utf8')).trim(), created: false };
  }
  const password = randomBytes(18).toString('base64url');
  await writeFile(PATHS.adminPassword, `${password}\n`, { mode: 0o600 });
  return { password, created: true };
}

/** Stop order, highest first: nginx, then the apps, then Redis. */
const TIER = { redis: 0, app: 1, edge: 2 };

/** The running services, stopped in reverse order of dependency: nginx, then the apps, then Redis. */
class Cluster {
  services = [];
  started = false;
  stopping = false;

  constructor(pidFile) {
    this.pidFile = pidFile;
  }

  async start(spec, tier) {
    if (this.stopping) throw new StoppingError();
    const service = startService({ ...spec, onLine: tier === TIER.app ? echoNotableLine : undefined });
    service.tier = tier;
    this.services.push(service);
    await this.pidFile.add(service);
    service.exited.then(({ code, signal }) => {
      if (this.stopping) return;
      say(`${service.name} exited unexpectedly (${signal ?? `code ${code}`}); see ${service.logFile}.`);
      // While starting, the failed readiness check reports it (with the log's tail) and stops the rest.
      if (this.started) this.stop().then(() => process.exit(1));
    });
    return service;
  }

  /** Idempotent: every caller (signal, crash, failed start) waits for the same, single shutdown. */
  stop() {
    this.stopping = true;
    this.stopped ??= this.#stopAll();
    return this.stopped;
  }

  async #stopAll() {
    const tiers = [...new Set(this.services.map((service) => service.tier))].sort((a, b) => b - a);
    for (const tier of tiers) {
      await Promise.all(this.services.filter((service) => service.tier === tier).map((service) => stopService(service)));
    }
    await this.pidFile.remove();
  }
}

class StoppingError extends Error {
  name = 'StoppingError';
}

/** `redisEnv`: REDIS_URL, or REDIS_TOPOLOGY with its nodes. */
function baseAppEnv(publicPort, redisEnv, tls) {
  const scheme = tls ? 'https' : 'http';
  return {
    ...process.env,
    HOST,
    ...redisEnv,
    ALLOWED_ORIGINS: `${scheme}://localhost:${publicPort},${scheme}://127.0.0.1:${publicPort}`,
    // Over https the session cookie is `__Host-sid`, Secure; plain http on localhost needs the dev cookie `sid`.
    COOKIE_SECURE: String(tls),
    // Output goes to log files: no ANSI colours from Nest's pre-logger boot messages.
    NO_COLOR: '1',
  };
}

async function startRedis(cluster, redisServer) {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', HOST, '--dir', PATHS.redisDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--logfile', ''];
  const service = await cluster.start(
    { name: 'redis', command: redisServer, args, env: process.env, logFile: join(PATHS.logs, 'redis.log'), match: 'redis-server' },
    TIER.redis,
  );
  await waitForOutput({ ...service, text: 'Ready to accept connections', timeoutMs: READY_TIMEOUT_MS });
  return `redis://${HOST}:${port}`;
}

/** How long `redis-cli --cluster create`'s nodes may take to agree on the slots (gossip). */
const CLUSTER_OK_TIMEOUT_MS = 20_000;

/**
 * A fresh local Redis Cluster: REDIS_CLUSTER_MASTERS cluster-mode redis-servers on free ports (each with a free
 * bus port and AOF), joined by `redis-cli --cluster create`. Ports change from run to run and a cluster's
 * nodes.conf records them, so the cluster's directory is emptied first: its data lasts one run.
 * Resolves with the apps' environment for it.
 */
async function startRedisCluster(cluster, redisServer, redisCli) {
  await rm(PATHS.redisClusterDir, { recursive: true, force: true });
  const nodes = [];
  for (let index = 1; index <= REDIS_CLUSTER_MASTERS; index++) {
    const [port, busPort] = [await freePort(), await freePort()];
    const dir = join(PATHS.redisClusterDir, String(index));
    await mkdir(dir, { recursive: true });
    const args = [
      '--port', String(port), '--cluster-port', String(busPort), '--bind', HOST, '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--logfile', '',
    ];
    const name = `redis-${index}`;
    const service = await cluster.start({ name, command: redisServer, args, env: process.env, logFile: join(PATHS.logs, `${name}.log`), match: 'redis-server' }, TIER.redis);
    await waitForOutput({ ...service, text: 'Ready to accept connections', timeoutMs: READY_TIMEOUT_MS });
    nodes.push(`${HOST}:${port}`);
  }
  const created = spawnSync(redisCli, ['--cluster', 'create', ...nodes, '--cluster-yes'], { encoding: 'utf8', timeout: READY_TIMEOUT_MS });
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed (exit ${created.status}):\n${created.stdout}${created.stderr}`);
  // Polled: Redis announces no event when the nodes agree on the slot map.
  const deadline = Date.now() + CLUSTER_OK_TIMEOUT_MS;
  for (const node of nodes) {
    const [host, port] = node.split(':');
    while (!spawnSync(redisCli, ['-h', host, '-p', port, 'cluster', 'info'], { encoding: 'utf8' }).stdout?.includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error(`Redis Cluster node ${node} not ok within ${CLUSTER_OK_TIMEOUT_MS} ms`);
      await delay(100);
    }
  }
  return { REDIS_TOPOLOGY: 'cluster', REDIS_CLUSTER_NODES: nodes.join(',') };
}

/** redis-cli creates the cluster; Debian ships it in redis-tools, which redis-server depends on. */
function findRedisCli() {
  const redisCli = findExecutable('redis-cli');
  if (!redisCli) throw new MissingPrerequisiteError('--redis-cluster needs redis-cli. Debian/Ubuntu: sudo apt-get install -y redis-tools; macOS: brew install redis');
  return redisCli;
}

/** Starts a Node app from dist/ and resolves with its address once its /health answers 200. */
async function startApp(cluster, { name, main, env }) {
  const port = await freePort();
  const service = await cluster.start(
    { name, command: process.execPath, args: [main], env: { ...env, PORT: String(port) }, logFile: join(PATHS.logs, `${name}.log`), match: main },
    TIER.app,
  );
  await waitForHttpOk({ ...service, url: `http://${HOST}:${port}/health`, timeoutMs: READY_TIMEOUT_MS });
  return `${HOST}:${port}`;
}

async function startNginx(cluster, nginx, { publicPort, authAddress, gatewayAddresses, tls }) {
  await writeLocalNginxConfig({
    templateFile: PATHS.nginxTemplate,
    prefix: PATHS.nginxPrefix,
    listen: `${HOST}:${publicPort}`,
    authAddress,
    gatewayAddresses,
    demoRoot: PATHS.demoRoot,
    tls,
  });
  testNginxConfig(nginx, PATHS.nginxPrefix);
  const service = await cluster.start(
    {
      name: 'nginx',
      command: nginx,
      args: [...nginxArgs(PATHS.nginxPrefix), '-g', 'daemon off;'],
      env: process.env,
      logFile: join(PATHS.nginxPrefix, 'logs/error.log'),
      match: 'nginx',
    },
    TIER.edge,
  );
  const url = `${tls ? 'https' : 'http'}://${HOST}:${publicPort}/health`;
  await waitForHttpOk({ ...service, url, timeoutMs: READY_TIMEOUT_MS, ca: tls ? await readFile(tls.cert) : undefined });
}

function printSummary({ publicPort, gateways, admin, redis, external, tls }) {
  const base = `${tls ? 'https' : 'http'}://localhost:${publicPort}`;
  const gatewayNote = gateways > 0 ? `${gateways} gateway replica${gateways > 1 ? 's' : ''}` : 'no gateway running (--gateways 0): 502';
  say(`
sessionwire is up
  ${base}                        demo page
  ${base}/health                 auth health, through nginx
  ${base}/.well-known/jwks.json  access-token signing keys
  ${base}/socket.io/             Socket.IO (${gatewayNote})
  admin login: ${admin.username} / ${admin.password}   (kept in .data/admin-password)
  redis: ${redis}${external ? ' (external, from REDIS_URL)' : ''}
  logs: .data/logs/<name>.log, .data/nginx/logs/${
    tls
      ? `\n  TLS: self-signed certificate for ${DEV_CERTIFICATE_NAMES} in ${tls.cert}; your browser warns once
       (accept it, or trust that file), curl needs --cacert ${tls.cert}`
      : ''
  }
Ctrl-C stops everything.`);
}

async function main() {
  assertNodeVersion();
  const options = readOptions(process.argv.slice(2), process.env);
  const binaries = ensureSystemBinaries(options.externalRedisUrl ? ['nginx'] : ['redis-server', 'nginx'], say);

  if (options.build) {
    const failed = await buildApps(options.gateways > 0 ? ['auth', 'gateway'] : ['auth'], say);
    if (failed.length > 0) throw new Error(`Build failed for ${failed.join(', ')} (see the compiler output above).`);
    await buildClientBundle(say);
  } else if (!existsSync(join(CLIENT_BUNDLE_DIR, CLIENT_BUNDLE_FILE))) {
    // The demo page loads it from /vendor/: without it the page would load but never connect.
    throw new Error(`dist/client/${CLIENT_BUNDLE_FILE} is missing: run \`npm run build\` (or start without --no-build).`);
  }
  for (const dir of [PATHS.redisDir, PATHS.logs, PATHS.nginxPrefix]) await mkdir(dir, { recursive: true });

  const pidFile = new PidFile(PATHS.pids);
  await pidFile.stopLeftovers(say);
  await pidFile.save();
  const cluster = new Cluster(pidFile);
  installSignalHandlers(cluster);
  try {
    await startCluster(cluster, options, binaries);
    cluster.started = true;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function startCluster(cluster, options, binaries) {
  // Checked first so a taken port fails in a second, not after Redis and the apps have started.
  await assertPortFree(options.port, HOST);
  const hadRedisData = existsSync(join(PATHS.redisDir, 'appendonlydir'));
  const admin = { username: 'admin', ...(await adminPassword()) };
  if (admin.created && (hadRedisData || options.externalRedisUrl)) {
    say('Note: .data/admin-password was just created, but this Redis may already hold an admin account; an existing admin keeps its old password.');
  }

  const tls = options.tls ? await ensureDevCertificate(PATHS.tls) : undefined;
  if (tls?.created) say(`Generated a self-signed development certificate in ${PATHS.tls}`);
  let appEnv;
  let redis;
  if (options.redisCluster) {
    const redisEnv = await startRedisCluster(cluster, binaries['redis-server'], findRedisCli());
    appEnv = baseAppEnv(options.port, redisEnv, options.tls);
    redis = `Redis Cluster ${redisEnv.REDIS_CLUSTER_NODES} (data in .data/redis-cluster, this run only)`;
  } else {
    const redisUrl = options.externalRedisUrl ?? (await startRedis(cluster, binaries['redis-server']));
    appEnv = baseAppEnv(options.port, { REDIS_URL: redisUrl }, options.tls);
    redis = options.externalRedisUrl ? redisUrl : `${redisUrl} (data in .data/redis)`;
  }
  const authAddress = await startApp(cluster, {
    name: 'auth',
    main: PATHS.authMain,
    env: { ...appEnv, ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password },
  });
  const gatewayAddresses = await Promise.all(
    Array.from({ length: options.gateways }, (_, index) =>
      startApp(cluster, {
        name: `gateway-${index + 1}`,
        main: PATHS.gatewayMain,
        env: { ...appEnv, NODE_ID: `gateway-${index + 1}`, AUTH_JWKS_URL: `http://${authAddress}/.well-known/jwks.json` },
      }),
    ),
  );
  await startNginx(cluster, binaries.nginx, { publicPort: options.port, authAddress, gatewayAddresses, tls });
  printSummary({ publicPort: options.port, gateways: options.gateways, admin, redis, external: Boolean(options.externalRedisUrl), tls });
}

/** Set once Ctrl-C / SIGTERM arrived: from then on the signal handler decides the exit code. */
let signalled = false;

function installSignalHandlers(cluster) {
  let firstAt;
  const onSignal = (signal) => {
    signalled = true;
    // One Ctrl-C can arrive twice (from the terminal and forwarded by npm): only a later one means "hurry".
    if (firstAt !== undefined) {
      if (Date.now() - firstAt < 1000) return;
      say(`${signal} again: killing everything now.`);
      for (const service of cluster.services) killGroupNow(service.pid);
      process.exit(130);
    }
    firstAt = Date.now();
    say(`\n${signal}: stopping nginx, the apps, then Redis… (press Ctrl-C again to kill them at once)`);
    cluster.stop().then(
      () => process.exit(0),
      (error) => {
        say(`Stopping failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function killGroupNow(pgid) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (error) {
    if (error.code !== 'ESRCH') say(`Could not kill process group ${pgid}: ${error.message}`);
  }
}

main().catch((error) => {
  if (signalled) return; // a signal arrived during startup: its handler stops the rest and exits
  say(`\ncluster: ${error.message}`);
  if (error instanceof UsageError) say(`\n${USAGE}`);
  process.exit(1);
});
