import { signalGroup, startService, stopService } from './processes.mjs';
import { lastLines } from './readiness.mjs';

/**
 * How `npm start` keeps its services running, after compose's `restart: unless-stopped`: whatever ends a service
 * (a crash, kill -9, a SIGTERM drain), it is started again on the same port while the others keep serving.
 */
export const RESTART_POLICY = {
  /** Wait before the first restart; doubled after every life shorter than `stableAfterMs`. */
  firstDelayMs: 250,
  maxDelayMs: 8_000,
  /** A life this long resets the delay. */
  stableAfterMs: 10_000,
  /**
   * A process that ends by itself (an error code or a crash signal) within this long of starting crashed. A bad
   * configuration fails within a few seconds; an app that waited 10 s for Redis (or 30 s for auth's keys) at boot
   * and gave up met an outage, and is retried for as long as it lasts. Deaths by SIGKILL, SIGTERM, SIGINT or SIGHUP
   * come from outside (an operator, the OOM killer, a drain) and never count.
   */
  crashWindowMs: 8_000,
  /** Crashes in a row after which the launcher gives up, instead of restarting a bad configuration forever. */
  maxCrashes: 5,
};

const EXTERNAL_SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP']);

/** Handed to `onGiveUp`: the service crashed `maxCrashes` times in a row right after starting. */
export class CrashLoopError extends Error {
  name = 'CrashLoopError';
}

/**
 * One service of the local cluster, restarted whenever it ends until `stop()`. Each run of the process is a
 * "life" from `startService`. `waitUp(life)` resolves when a life serves (for the first start: ready, e.g. its
 * /health is 200; for a restart, `waitUpAfterRestart`, e.g. /health/live, so a gateway coming back during a
 * Redis outage counts as up). The first start is not supervised: if it fails, the launcher stops, as before.
 */
export class SupervisedService {
  #life;
  #stopping = false;
  #crashes = 0;
  #shortLives = 0;
  #restartTimer;

  /**
   * @param {object} options
   * @param {object} options.spec startService's spec (name, command, args, env, logFile, match, onLine)
   * @param {(life: object) => Promise<void>} options.waitUp
   * @param {(life: object) => Promise<void>} [options.waitUpAfterRestart] @default waitUp
   * @param {(life: object) => void} [options.onLife] called with every new life (e.g. to record its pid)
   * @param {(error: CrashLoopError) => void} options.onGiveUp
   * @param {(message: string) => void} options.log
   * @param {number} [options.stopGraceMs] how long `stop()` waits after SIGTERM before SIGKILL @default 10000
   */
  constructor({ spec, waitUp, waitUpAfterRestart = waitUp, onLife = () => {}, onGiveUp, log, stopGraceMs = 10_000, policy = RESTART_POLICY }) {
    Object.assign(this, { spec, waitUp, waitUpAfterRestart, onLife, onGiveUp, log, stopGraceMs, policy });
    this.name = spec.name;
    this.restarts = 0;
  }

  get pid() {
    return this.#life?.pid;
  }

  get logFile() {
    return this.spec.logFile;
  }

  /** The current life (startService's service object), e.g. to wait for its output. */
  get life() {
    return this.#life;
  }

  /** Starts the first life and resolves once it is up; rejects (with the log's tail) if it is not. */
  async start() {
    const life = this.#begin();
    await this.waitUp(life);
    life.exited.then((outcome) => this.#ended(life, outcome));
  }

  /** No more restarts; stops the current life (SIGTERM to its group, SIGKILL after `stopGraceMs`). */
  async stop() {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    if (this.#life) await stopService(this.#life, this.stopGraceMs);
  }

  #begin() {
    const life = startService(this.spec);
    life.startedAt = Date.now();
    this.#life = life;
    this.onLife(life);
    return life;
  }

  #ended(life, { code, signal }) {
    if (this.#stopping) return;
    // Whatever the leader left behind in its group (nginx workers after a kill -9 of the master) would keep the port.
    signalGroup(life.pid, 'SIGKILL');
    const lived = Date.now() - life.startedAt;
    const crashed = lived < this.policy.crashWindowMs && !(signal && EXTERNAL_SIGNALS.has(signal));
    this.#shortLives = lived < this.policy.stableAfterMs ? this.#shortLives + 1 : 0;
    this.#crashes = crashed ? this.#crashes + 1 : 0;
    const how = signal ?? `exit code ${code}`;
    if (this.#crashes >= this.policy.maxCrashes) {
      this.#stopping = true;
      lastLines(this.spec.logFile, 20).then((tail) =>
        this.onGiveUp(
          new CrashLoopError(
            `${this.name} crashed ${this.#crashes} times in a row right after starting (last: ${how}); not restarting it.\n` +
              `Last lines of ${this.spec.logFile}:\n${tail || '  (empty)'}`,
          ),
        ),
      );
      return;
    }
    const wait = Math.min(this.policy.firstDelayMs * 2 ** Math.max(0, this.#shortLives - 1), this.policy.maxDelayMs);
    this.log(`${this.name} exited (${how}) after ${formatSeconds(lived)}; restarting it in ${formatSeconds(wait)}.`);
    this.#restartTimer = setTimeout(() => void this.#restart(), wait);
  }

  async #restart() {
    if (this.#stopping) return;
    const life = this.#begin();
    this.restarts++;
    life.exited.then((outcome) => this.#ended(life, outcome));
    try {
      await this.waitUpAfterRestart(life);
      this.log(`${this.name} is back (pid ${life.pid}, restart ${this.restarts}).`);
    } catch (error) {
      // An exit while waiting is handled by #ended; a live process that is not up yet keeps running.
      if (life.child.exitCode === null && life.child.signalCode === null) this.log(`${this.name} restarted but is not up yet: ${error.message.split('\n')[0]}`);
    }
  }
}

function formatSeconds(ms) {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
