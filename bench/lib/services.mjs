import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { freePort } from '../../scripts/lib/net.mjs';
import { startService, stopService } from '../../scripts/lib/processes.mjs';
import { waitForHttpOk, waitForOutput } from '../../scripts/lib/readiness.mjs';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;

/**
 * Every server process gets the open-files soft limit raised to the hard limit before it starts: one
 * socket is one file descriptor, and the benchmark holds tens of thousands.
 */
function withRaisedFileLimit(command, args) {
  return { command: '/bin/sh', args: ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', command, ...args] };
}

/** Only what the apps need, so a developer's shell (REDIS_URL, LOG_LEVEL…) cannot change what is measured. */
function baseEnv() {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' };
}

/**
 * The processes of one benchmark run (Redis, the apps, the baseline servers), each in its own process group,
 * with its output in `logDir`. `stopAll()` is idempotent; `killAllNow()` is the synchronous last resort for
 * `process.on('exit')`.
 */
export class ServiceSet {
  services = [];

  constructor({ appRoot, logDir, redisServer, cpuProfile = false }) {
    this.appRoot = appRoot;
    this.logDir = logDir;
    this.redisServer = redisServer;
    this.cpuProfile = cpuProfile;
  }

  async startRedis() {
    const port = await freePort();
    // As deployed (scripts/cluster.mjs): AOF on with the default fsync policy, no RDB snapshots.
    const args = ['--port', String(port), '--bind', HOST, '--dir', this.logDir, '--appendonly', 'yes', '--save', '', '--logfile', ''];
    const service = this.#start({ name: 'redis', command: this.redisServer, args, env: baseEnv() });
    await waitForOutput({ ...service, text: 'Ready to accept connections', timeoutMs: READY_TIMEOUT_MS });
    return { ...service, url: `redis://${HOST}:${port}`, port };
  }

  /** The auth service from dist/; `env` overrides the benchmark defaults (e.g. the argon2 cost). */
  async startAuth(name, { redisUrl, env = {}, nodeArgs = [] }) {
    const entry = this.#entry('auth');
    const port = await freePort();
    const keyFile = join(this.logDir, `${name}-signing-key.pem`);
    const service = this.#start({
      name,
      ...withRaisedFileLimit(process.execPath, [...this.#profileArgs(name), ...nodeArgs, entry]),
      env: {
        ...baseEnv(),
        HOST,
        PORT: String(port),
        REDIS_URL: redisUrl,
        COOKIE_SECURE: 'false',
        LOG_LEVEL: 'info',
        DEV_SIGNING_KEY_FILE: keyFile,
        ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
        // The run lasts minutes; tokens minted during setup must outlive it.
        ACCESS_TOKEN_TTL: '3600',
        // Every benchmark client comes from 127.0.0.1: the per-IP login limit would stop setup after 100.
        LOGIN_LIMIT_PER_IP: '1000000',
        ...env,
      },
    });
    const url = `http://${HOST}:${port}`;
    await waitForHttpOk({ ...service, url: `${url}/health`, timeoutMs: READY_TIMEOUT_MS });
    return { ...service, url };
  }

  /** One gateway replica from dist/. */
  async startGateway(nodeId, { redisUrl, authUrl, env = {}, nodeArgs = [] }) {
    const entry = this.#entry('gateway');
    const port = await freePort();
    const service = this.#start({
      name: nodeId,
      ...withRaisedFileLimit(process.execPath, [...this.#profileArgs(nodeId), ...nodeArgs, entry]),
      env: {
        ...baseEnv(),
        HOST,
        PORT: String(port),
        NODE_ID: nodeId,
        REDIS_URL: redisUrl,
        AUTH_JWKS_URL: `${authUrl}/.well-known/jwks.json`,
        COOKIE_SECURE: 'false',
        LOG_LEVEL: 'info',
        // All benchmark clients share 127.0.0.1: the per-IP handshake limit (120 per 10 s) would refuse them.
        HANDSHAKE_LIMIT_PER_IP: '1000000',
        ...env,
      },
    });
    const url = `http://${HOST}:${port}`;
    await waitForHttpOk({ ...service, url: `${url}/health`, timeoutMs: READY_TIMEOUT_MS });
    return { ...service, url, nodeId };
  }

  /**
   * The baseline: plain Socket.IO, no auth; with `redisUrl`, the official Redis adapter; with `env` AUTH_KEY_FORM
   * and friends, the user-written authentication (servers/user-written-auth.mjs).
   */
  async startPlain(name, { redisUrl, nodeArgs = [], env = {} } = {}) {
    const port = await freePort();
    const service = this.#start({
      name,
      ...withRaisedFileLimit(process.execPath, [...this.#profileArgs(name), ...nodeArgs, join(import.meta.dirname, '..', 'servers', 'plain-socketio.mjs')]),
      env: { ...baseEnv(), HOST, PORT: String(port), ...(redisUrl ? { REDIS_URL: redisUrl } : {}), ...env },
    });
    const url = `http://${HOST}:${port}`;
    await waitForHttpOk({ ...service, url: `${url}/health`, timeoutMs: READY_TIMEOUT_MS });
    return { ...service, url, nodeId: name };
  }

  /** Stops one service; `service` may be a copy with extra fields (scenarios add `kind`), so it is found by pid. */
  async stop(service) {
    const own = this.services.find((candidate) => candidate.pid === service.pid);
    this.services = this.services.filter((candidate) => candidate !== own);
    await stopService(own ?? service);
  }

  /** Stops everything, newest first (baselines and gateways before auth, Redis last). */
  stopAll() {
    this.stopping ??= (async () => {
      for (const service of [...this.services].reverse()) await stopService(service);
      this.services = [];
    })();
    return this.stopping;
  }

  /** Synchronous SIGKILL of every process group still running, for an exit that cannot wait. */
  killAllNow() {
    for (const service of this.services) {
      if (service.child.exitCode !== null || service.child.signalCode !== null) continue;
      try {
        process.kill(-service.pid, 'SIGKILL');
      } catch (error) {
        if (error.code !== 'ESRCH') throw error;
      }
    }
  }

  /** V8 writes the profile when the process exits (the apps exit cleanly on SIGTERM). */
  #profileArgs(name) {
    return this.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${join(this.logDir, 'profiles')}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  }

  #entry(app) {
    const entry = join(this.appRoot, `dist/apps/${app}/apps/${app}/src/main.js`);
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` (npm run bench does, unless --no-build).`);
    return entry;
  }

  #start(spec) {
    const service = startService({ ...spec, logFile: join(this.logDir, `${spec.name}.log`), match: spec.name });
    service.exited.then(({ code, signal }) => {
      if (this.stopping || !this.services.includes(service)) return;
      process.stderr.write(`bench: ${service.name} exited unexpectedly (${signal ?? `code ${code}`}); see ${service.logFile}\n`);
    });
    this.services.push(service);
    return service;
  }
}
