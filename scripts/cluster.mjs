#!/usr/bin/env node
// `npm start`: builds the apps and packages, then runs the local cluster (Redis, auth, N gateway replicas, nginx on one
// public port) in the foreground until Ctrl-C. Usage and environment: `npm start -- --help`, docs/ops-notes.md.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { buildRunnable, CLIENT_BUNDLE_DIR, CLIENT_BUNDLE_FILE } from './lib/build.mjs';
import { echoNotableLine, say } from './lib/console.mjs';
import { LOCAL_ACCESS_TOKEN_TTL_SECONDS, LOCAL_CLIENT_ID, localIssuerEntry, LOCAL_PROVIDER_NAME, LOCAL_PROVIDER_PATH } from './lib/local-provider.mjs';
import { assertPortFree, freePort } from './lib/net.mjs';
import { nginxArgs, testNginxConfig, writeLocalNginxConfig } from './lib/nginx.mjs';
import { assertNodeVersion, ensureSystemBinaries, findExecutable, MissingPrerequisiteError } from './lib/prerequisites.mjs';
import { PidFile, signalGroup } from './lib/processes.mjs';
import { RESTART_POLICY, SupervisedService } from './lib/supervisor.mjs';
import { waitForHttpOk, waitForOutput } from './lib/readiness.mjs';
import { DEV_CERTIFICATE_NAMES, ensureDevCertificate } from './lib/tls.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const FILES = {
  nginxTemplate: join(ROOT, 'nginx/nginx.conf.template'),
  demoRoot: join(ROOT, 'nginx/demo'),
  authMain: join(ROOT, 'dist/apps/auth/apps/auth/src/main.js'),
  gatewayMain: join(ROOT, 'dist/apps/gateway/apps/gateway/src/main.js'),
  oidcProvider: join(ROOT, 'scripts/oidc-provider.mjs'),
};

/** Where a run keeps its state: `.data/` in the checkout unless `--data-dir` says otherwise. */
function dataPaths(dataDir) {
  return {
    dataDir,
    redisDir: join(dataDir, 'redis'),
    redisClusterDir: join(dataDir, 'redis-cluster'),
    logs: join(dataDir, 'logs'),
    nginxPrefix: join(dataDir, 'nginx'),
    adminPassword: join(dataDir, 'admin-password'),
    signingKey: join(dataDir, 'keys/access-token-es256.pem'),
    signingKeyNext: join(dataDir, 'keys/access-token-es256.next.pem'),
    signingKeyPrevious: join(dataDir, 'keys/access-token-es256.previous.pem'),
    pids: join(dataDir, 'cluster.pids'),
    tls: join(dataDir, 'tls'),
    // Kept in step with `npm run oidc:keys` (scripts/oidc-provider.mjs), which finds the keys there by default.
    oidcProvider: join(dataDir, 'oidc-provider'),
  };
}
const READY_TIMEOUT_MS = 60_000;
/** SIGTERM to SIGKILL for an app at Ctrl-C: above a gateway's DRAIN_WINDOW (default 10 s) plus its registry clean-up. */
const APP_STOP_GRACE_MS = (Number(process.env.DRAIN_WINDOW) || 10) * 1000 + 20_000;
const HOST = '127.0.0.1';

const REDIS_CLUSTER_MASTERS = 3;

const USAGE = `Usage: npm start -- [--gateways N] [--port N] [--tls] [--redis-cluster] [--oidc [--oidc-port N]] [--no-build] [--data-dir DIR]

  --gateways N   gateway replicas to run (default 3, or env GATEWAYS); 0 runs auth + nginx only
  --port N       public port nginx listens on, on ${HOST} (default 8080, or env PORT)
  --tls          serve https and wss on that port, with a self-signed certificate for localhost and
                 127.0.0.1 kept in .data/tls/ (generated with openssl on first use)
  --redis-cluster
                 a local Redis Cluster (${REDIS_CLUSTER_MASTERS} masters, redis-server --cluster-enabled yes, joined
                 with redis-cli --cluster create) instead of the single Redis; the apps run on
                 REDIS_TOPOLOGY=cluster. Its data lives in .data/redis-cluster/ for this run only
  --oidc         also run a local OpenID Provider (scripts/oidc-provider.mjs: any username signs in) and trust it:
                 nginx serves it at ${LOCAL_PROVIDER_PATH}/ (its issuer: http://${HOST}:<port>${LOCAL_PROVIDER_PATH}; the demo page
                 signs in with it), OIDC_ISSUERS for auth and the gateways gets its entry, its back-channel
                 logout goes to /oidc/backchannel-logout through nginx. Its keys live in .data/oidc-provider/
                 (npm run oidc:keys -- rotate|retire)
  --oidc-port N  the provider's own port on ${HOST}, behind nginx (default 8081, or env OIDC_PORT)
  --no-build     start from the existing dist/ (default: build both apps and the packages first)
  --data-dir DIR where Redis data, logs, nginx files, keys and the admin password live (default .data)

Every service is restarted when it exits (kill -9, a crash, a SIGTERM drain), on the same port, while the
others keep serving; one that crashes ${RESTART_POLICY.maxCrashes} times in a row right after starting stops the launcher.

Environment: REDIS_URL=redis://… uses that Redis instead of starting one under .data/redis.
ADMIN_USERNAME / ADMIN_PASSWORD: the first admin (default admin / generated, kept in .data/admin-password).
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
      oidc: { type: 'boolean', default: false },
      'oidc-port': { type: 'string', default: env.OIDC_PORT || '8081' },
      'no-build': { type: 'boolean', default: false },
      'data-dir': { type: 'string', default: join(ROOT, '.data') },
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
  const oidcPort = Number(values['oidc-port']);
  if (!Number.isInteger(oidcPort) || oidcPort < 1 || oidcPort > 65535) throw new UsageError(`--oidc-port must be 1..65535 (got "${values['oidc-port']}")`);
  if (values.oidc && oidcPort === port) throw new UsageError(`--oidc-port must differ from --port (both ${port})`);
  return {
    gateways,
    port,
    tls: values.tls,
    redisCluster: values['redis-cluster'],
    oidc: values.oidc ? { port: oidcPort, otherIssuers: parseOtherIssuers(env.OIDC_ISSUERS) } : undefined,
    build: !values['no-build'],
    paths: dataPaths(resolve(values['data-dir'])),
    externalRedisUrl: env.REDIS_URL || undefined,
    admin: { username: env.ADMIN_USERNAME || 'admin', password: env.ADMIN_PASSWORD || undefined },
  };
}

class UsageError extends Error {
  name = 'UsageError';
}

/** OIDC_ISSUERS from the environment (a JSON array, which the apps validate), kept beside the local provider's entry. */
function parseOtherIssuers(json) {
  if (!json) return [];
  let issuers;
  try {
    issuers = JSON.parse(json);
  } catch (error) {
    throw new UsageError(`OIDC_ISSUERS is not JSON: ${error.message}`);
  }
  if (!Array.isArray(issuers)) throw new UsageError('OIDC_ISSUERS must be a JSON array of issuer entries');
  return issuers;
}

/**
 * The first admin's login: ADMIN_USERNAME / ADMIN_PASSWORD when set; otherwise `admin` and a password generated once
 * and kept in `<data dir>/admin-password` (mode 600), so every run can print it.
 */
async function adminLogin({ username, password }, file) {
  if (password) return { username, password, source: 'ADMIN_PASSWORD' };
  if (existsSync(file)) {
    await chmod(file, 0o600);
    return { username, password: (await readFile(file, 'utf8')).trim(), source: file };
  }
  const generated = randomBytes(18).toString('base64url');
  await writeFile(file, `${generated}\n`, { mode: 0o600 });
  return { username, password: generated, source: file, created: true };
}

/** Stop order, highest first: nginx, then the apps, then Redis and the identity provider. */
const TIER = { redis: 0, identityProvider: 0, app: 1, edge: 2 };

/**
 * The running services, each supervised (restarted when it exits), stopped in reverse order of dependency:
 * nginx, then the apps, then Redis.
 */
class Cluster {
  services = [];
  stopping = false;

  constructor(pidFile) {
    this.pidFile = pidFile;
  }

  /**
   * Starts `spec` as a supervised service and resolves once `waitUp` says it serves; `waitUpAfterRestart` decides
   * when a restarted life counts as up (default `waitUp`).
   */
  async start(spec, tier, { waitUp, waitUpAfterRestart }) {
    if (this.stopping) throw new StoppingError();
    const service = new SupervisedService({
      spec: { ...spec, onLine: tier === TIER.app ? echoNotableLine : undefined },
      waitUp,
      waitUpAfterRestart,
      // A gateway stopped by Ctrl-C drains over DRAIN_WINDOW, then removes its registry entries: give it the time.
      stopGraceMs: tier === TIER.app ? APP_STOP_GRACE_MS : undefined,
      onLife: (life) =>
        this.pidFile.record(life).catch((error) => say(`Could not update ${this.pidFile.file}: ${error.message} (a later run may not find ${life.name}'s processes)`)),
      onGiveUp: (error) => {
        say(`\n${error.message}\nStopping the cluster.`);
        this.stop().then(() => process.exit(1));
      },
      log: say,
    });
    service.tier = tier;
    this.services.push(service);
    await service.start();
    return service;
  }

  /** Idempotent: every caller (signal, crash loop, failed start) waits for the same, single shutdown. */
  stop() {
    this.stopping = true;
    this.stopped ??= this.#stopAll();
    return this.stopped;
  }

  async #stopAll() {
    const tiers = [...new Set(this.services.map((service) => service.tier))].sort((a, b) => b - a);
    for (const tier of tiers) {
      await Promise.all(this.services.filter((service) => service.tier === tier).map((service) => service.stop()));
    }
    await this.pidFile.remove();
  }
}

class StoppingError extends Error {
  name = 'StoppingError';
}

/** The launcher's environment without the admin password, which only the auth service gets. */
function inheritedEnv() {
  const env = { ...process.env };
  delete env.ADMIN_PASSWORD;
  return env;
}

/** `redisEnv`: REDIS_URL, or REDIS_TOPOLOGY with its nodes. */
function baseAppEnv(publicPort, redisEnv, tls) {
  const scheme = tls ? 'https' : 'http';
  return {
    ...inheritedEnv(),
    HOST,
    ...redisEnv,
    ALLOWED_ORIGINS: `${scheme}://localhost:${publicPort},${scheme}://127.0.0.1:${publicPort}`,
    // Over https the session cookie is `__Host-sid`, Secure; plain http on localhost needs the dev cookie `sid`.
    COOKIE_SECURE: String(tls),
    // Output goes to log files: no ANSI colours from Nest's pre-logger boot messages.
    NO_COLOR: '1',
  };
}

/** Every life of a redis-server is up once it has loaded its data (AOF) and says so. */
const redisUp = (life) => waitForOutput({ ...life, text: 'Ready to accept connections', timeoutMs: READY_TIMEOUT_MS });

async function startRedis(cluster, redisServer, paths) {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', HOST, '--dir', paths.redisDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--logfile', ''];
  await cluster.start(
    // `match`: how a later run recognises this process as ours, should this launcher die without stopping it.
    { name: 'redis', command: redisServer, args, env: inheritedEnv(), logFile: join(paths.logs, 'redis.log'), match: paths.redisDir },
    TIER.redis,
    { waitUp: redisUp },
  );
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
async function startRedisCluster(cluster, redisServer, redisCli, paths) {
  await rm(paths.redisClusterDir, { recursive: true, force: true });
  const nodes = [];
  for (let index = 1; index <= REDIS_CLUSTER_MASTERS; index++) {
    const [port, busPort] = [await freePort(), await freePort()];
    const dir = join(paths.redisClusterDir, String(index));
    await mkdir(dir, { recursive: true });
    const args = [
      '--port', String(port), '--cluster-port', String(busPort), '--bind', HOST, '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--logfile', '',
    ];
    const name = `redis-${index}`;
    const logFile = join(paths.logs, `${name}.log`);
    await cluster.start({ name, command: redisServer, args, env: inheritedEnv(), logFile, match: dir }, TIER.redis, { waitUp: redisUp });
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

/**
 * Starts a Node app from dist/ and resolves with its address once its /health answers 200. A restarted life (same
 * port: nginx's upstreams name it) is up when /health/live answers, so an app coming back during a Redis outage
 * counts as running, as it is.
 */
async function startApp(cluster, { name, main, env, logs }) {
  const port = await freePort();
  const answers = (path) => (life) => waitForHttpOk({ ...life, url: `http://${HOST}:${port}${path}`, timeoutMs: READY_TIMEOUT_MS });
  await cluster.start(
    { name, command: process.execPath, args: [main], env: { ...env, PORT: String(port) }, logFile: join(logs, `${name}.log`), match: main },
    TIER.app,
    { waitUp: answers('/health'), waitUpAfterRestart: answers('/health/live') },
  );
  return `${HOST}:${port}`;
}

/**
 * The local OpenID Provider on `port`, supervised like the other services (a restart keeps its keys: they are files;
 * its sessions are in memory and end with it). Its issuer is the public origin's LOCAL_PROVIDER_PATH, which nginx passes
 * on to it, so the demo page signs in with it under its own origin. Up once its discovery document answers on its own
 * port. Resolves with its issuer, its address and the OIDC_ISSUERS entry for it.
 */
async function startOidcProvider(cluster, { port, publicPort, tls, paths }) {
  await assertPortFree(port, HOST);
  const edge = `${tls ? 'https' : 'http'}://${HOST}:${publicPort}`;
  const issuer = `${edge}${LOCAL_PROVIDER_PATH}`;
  const address = `${HOST}:${port}`;
  // The demo page, on both names the browser may use for it: the client's redirect and post-logout URIs.
  const demoPages = [`${tls ? 'https' : 'http'}://localhost:${publicPort}/`, `${edge}/`];
  const args = [
    FILES.oidcProvider,
    'serve',
    '--port', String(port),
    '--state-dir', paths.oidcProvider,
    '--issuer', issuer,
    '--backchannel-logout-uri', `${edge}/oidc/backchannel-logout`,
    ...demoPages.flatMap((page) => ['--redirect-uri', page, '--post-logout-redirect-uri', page]),
  ];
  // Over --tls the logout tokens go to nginx's self-signed certificate, which the provider must then trust.
  const env = { ...inheritedEnv(), ...(tls && { NODE_EXTRA_CA_CERTS: tls.cert }) };
  const direct = `http://${address}${LOCAL_PROVIDER_PATH}`;
  await cluster.start(
    { name: LOCAL_PROVIDER_NAME, command: process.execPath, args, env, logFile: join(paths.logs, `${LOCAL_PROVIDER_NAME}.log`), match: paths.oidcProvider },
    TIER.identityProvider,
    { waitUp: (life) => waitForHttpOk({ ...life, url: `${direct}/.well-known/openid-configuration`, timeoutMs: READY_TIMEOUT_MS }) },
  );
  // The apps read its keys at boot, before nginx runs, and need not trust the --tls certificate: from its own port.
  return { issuer, address, entry: localIssuerEntry(issuer, `${direct}/jwks`) };
}

/** The next and previous key files `npm run keys:rotate` fills and empties: present, empty until a rotation starts. */
async function ensureRotationSlots(paths) {
  await mkdir(dirname(paths.signingKeyNext), { recursive: true });
  for (const file of [paths.signingKeyNext, paths.signingKeyPrevious]) await writeFile(file, '', { flag: 'a', mode: 0o600 });
}

async function startNginx(cluster, nginx, { publicPort, authAddress, gatewayAddresses, oidcProviderAddress, tls, prefix }) {
  await writeLocalNginxConfig({
    templateFile: FILES.nginxTemplate,
    prefix,
    listen: `${HOST}:${publicPort}`,
    authAddress,
    gatewayAddresses,
    oidcProviderAddress,
    demoRoot: FILES.demoRoot,
    tls,
  });
  testNginxConfig(nginx, prefix);
  const url = `${tls ? 'https' : 'http'}://${HOST}:${publicPort}/health`;
  const ca = tls ? await readFile(tls.cert) : undefined;
  await cluster.start(
    {
      name: 'nginx',
      command: nginx,
      args: [...nginxArgs(prefix), '-g', 'daemon off;'],
      env: inheritedEnv(),
      logFile: join(prefix, 'logs/error.log'),
      match: prefix,
    },
    TIER.edge,
    { waitUp: (life) => waitForHttpOk({ ...life, url, timeoutMs: READY_TIMEOUT_MS, ca }) },
  );
}

function printSummary({ publicPort, gateways, admin, redis, external, tls, paths, oidcProvider }) {
  const base = `${tls ? 'https' : 'http'}://localhost:${publicPort}`;
  const gatewayNote = gateways > 0 ? `${gateways} gateway replica${gateways > 1 ? 's' : ''}` : 'no gateway running (--gateways 0): 502';
  const password = admin.source === 'ADMIN_PASSWORD' ? '(the password in ADMIN_PASSWORD)' : `${admin.password}   (kept in ${admin.source})`;
  say(`
sessionwire is up
  ${base}                        demo page
  ${base}/console/               operator console (admin login below)
  ${base}/health                 auth health, through nginx
  ${base}/.well-known/jwks.json  access-token signing keys
  ${base}/socket.io/             Socket.IO (${gatewayNote})
  admin login: ${admin.username} / ${password}${
    oidcProvider
      ? `\n  OpenID Provider: ${oidcProvider.issuer} (its own port: ${oidcProvider.address}; any username signs in, also with
       the demo page's "Sign in with the local identity provider"; client ${LOCAL_CLIENT_ID}, access tokens ${LOCAL_ACCESS_TOKEN_TTL_SECONDS} s;
       rotate its keys: npm run oidc:keys -- rotate --data-dir ${paths.dataDir})`
      : ''
  }
  redis: ${redis}${external ? ' (external, from REDIS_URL)' : ''}
  logs: ${paths.logs}/<name>.log, ${paths.nginxPrefix}/logs/${
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
    await buildRunnable({ apps: options.gateways > 0 ? ['auth', 'gateway'] : ['auth'], log: say });
  } else if (!existsSync(join(CLIENT_BUNDLE_DIR, CLIENT_BUNDLE_FILE))) {
    // The demo page loads it from /vendor/: without it the page would load but never connect.
    throw new Error(`dist/client/${CLIENT_BUNDLE_FILE} is missing: run \`npm run build\` (or start without --no-build).`);
  }
  const { paths } = options;
  for (const dir of [paths.redisDir, paths.logs, paths.nginxPrefix]) await mkdir(dir, { recursive: true });

  const pidFile = new PidFile(paths.pids);
  await pidFile.stopLeftovers(say);
  await pidFile.save();
  const cluster = new Cluster(pidFile);
  installSignalHandlers(cluster);
  try {
    await startCluster(cluster, options, binaries);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function startCluster(cluster, options, binaries) {
  const { paths } = options;
  // Checked first so a taken port fails in a second, not after Redis and the apps have started.
  await assertPortFree(options.port, HOST);
  const hadRedisData = existsSync(join(paths.redisDir, 'appendonlydir'));
  const admin = await adminLogin(options.admin, paths.adminPassword);
  if ((admin.created || admin.source === 'ADMIN_PASSWORD') && (hadRedisData || options.externalRedisUrl)) {
    say(`Note: this Redis may already hold an account named ${admin.username}; an existing account keeps its old password.`);
  }

  const tls = options.tls ? await ensureDevCertificate(paths.tls) : undefined;
  if (tls?.created) say(`Generated a self-signed development certificate in ${paths.tls}`);
  let appEnv;
  let redis;
  if (options.redisCluster) {
    const redisEnv = await startRedisCluster(cluster, binaries['redis-server'], findRedisCli(), paths);
    appEnv = baseAppEnv(options.port, redisEnv, options.tls);
    redis = `Redis Cluster ${redisEnv.REDIS_CLUSTER_NODES} (data in ${paths.redisClusterDir}, this run only)`;
  } else {
    const redisUrl = options.externalRedisUrl ?? (await startRedis(cluster, binaries['redis-server'], paths));
    appEnv = baseAppEnv(options.port, { REDIS_URL: redisUrl }, options.tls);
    redis = options.externalRedisUrl ? redisUrl : `${redisUrl} (data in ${paths.redisDir})`;
  }
  await ensureRotationSlots(paths);
  let oidcProvider;
  if (options.oidc) {
    oidcProvider = await startOidcProvider(cluster, { port: options.oidc.port, publicPort: options.port, tls, paths });
    appEnv.OIDC_ISSUERS = JSON.stringify([...options.oidc.otherIssuers, oidcProvider.entry]);
  }
  const authAddress = await startApp(cluster, {
    name: 'auth',
    main: FILES.authMain,
    logs: paths.logs,
    env: {
      DEV_SIGNING_KEY_FILE: paths.signingKey,
      SIGNING_KEY_NEXT_FILE: paths.signingKeyNext,
      SIGNING_KEY_PREVIOUS_FILE: paths.signingKeyPrevious,
      ...appEnv,
      ADMIN_USERNAME: admin.username,
      ADMIN_PASSWORD: admin.password,
    },
  });
  const gatewayAddresses = await Promise.all(
    Array.from({ length: options.gateways }, (_, index) =>
      startApp(cluster, {
        name: `gateway-${index + 1}`,
        main: FILES.gatewayMain,
        logs: paths.logs,
        env: { ...appEnv, NODE_ID: `gateway-${index + 1}`, AUTH_JWKS_URL: `http://${authAddress}/.well-known/jwks.json` },
      }),
    ),
  );
  await startNginx(cluster, binaries.nginx, {
    publicPort: options.port,
    authAddress,
    gatewayAddresses,
    oidcProviderAddress: oidcProvider?.address,
    tls,
    prefix: paths.nginxPrefix,
  });
  printSummary({ publicPort: options.port, gateways: options.gateways, admin, redis, external: Boolean(options.externalRedisUrl), tls, paths, oidcProvider });
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
      for (const service of cluster.services) if (service.pid) signalGroup(service.pid, 'SIGKILL');
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
  // SIGHUP: the terminal closed. The services run in process groups of their own and would outlive the launcher.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
}

main().catch((error) => {
  if (signalled) return; // a signal arrived during startup: its handler stops the rest and exits
  say(`\ncluster: ${error.message}`);
  if (error instanceof UsageError) say(`\n${USAGE}`);
  process.exit(1);
});
