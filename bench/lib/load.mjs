import { spawn } from 'node:child_process';
import { join } from 'node:path';
import process from 'node:process';

const WORKER = join(import.meta.dirname, '..', 'load', 'worker.mjs');

/**
 * Sockets one load process holds at most. The open-files hard limit here is 20,000 per process; staying well
 * under it leaves room for the process's own files and for sockets closing while new ones open.
 */
export const SOCKETS_PER_WORKER = 8_000;

/**
 * Lean sockets (bench/load/lean-client.mjs) one load process holds at most: one file descriptor each, under the
 * 20,000 open-files hard limit with room for the process's own files.
 *
 * Every load process connects from 127.0.0.1 without binding a source address: the kernel then picks the source
 * port at connect() and reuses it towards other destinations (ports 32768–60999: 28,232 per gateway port, and no
 * node holds more than 15,000 sockets). Binding a source address (`localAddress`: 127.0.0.2, 127.0.0.3 …) makes
 * bind() reserve a port on that address, and its search slows as the ports fill: with ~10,000 sockets on each of
 * 7 addresses, strace showed bind() taking ~5 ms per call, and the 100k run fell to ~100 connections/s.
 */
export const LEAN_SOCKETS_PER_WORKER = 15_000;

/** One load-generator process (bench/load/worker.mjs), driven over IPC. */
export class LoadWorker {
  #pending = new Map();
  #nextId = 0;

  constructor(name) {
    this.name = name;
    // Through sh, to raise the open-files soft limit to the hard limit first; exec keeps the IPC channel (fd 3).
    this.child = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', process.execPath, WORKER], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.child.on('message', ({ id, ok, result, error }) => {
      const pending = this.#pending.get(id);
      if (!pending) return;
      this.#pending.delete(id);
      if (ok) pending.resolve(result);
      else pending.reject(new Error(`${this.name}: ${error}`));
    });
    this.child.once('exit', (code, signal) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`${this.name} exited (${signal ?? code})`));
      this.#pending.clear();
    });
  }

  call(cmd, args) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.child.send({ id, cmd, args });
    });
  }

  stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    return exited;
  }

  killNow() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Load processes, created on demand and reused across scenarios. */
export class LoadPool {
  workers = [];
  leanWorkers = [];

  /** At least `count` workers. */
  ensure(count) {
    while (this.workers.length < count) this.workers.push(new LoadWorker(`load-${this.workers.length + 1}`));
    return this.workers.slice(0, count);
  }

  /**
   * Opens `total` sockets spread over `workers` processes (≥ enough to stay under SOCKETS_PER_WORKER each,
   * counting what they already hold), `concurrency` handshakes in flight per process. Targets are taken
   * round robin across all sockets. Answers with the combined rate: sockets opened / slowest worker's time.
   */
  async connect({ targets, total, workers = 2, concurrency = 32, held = 0 }) {
    const needed = Math.max(workers, Math.ceil((total + held) / SOCKETS_PER_WORKER));
    const pool = this.ensure(needed);
    const shares = pool.map((_, index) => Math.floor(total / pool.length) + (index < total % pool.length ? 1 : 0));
    let offset = 0;
    const results = await Promise.all(
      pool.map((worker, index) => {
        // Rotate the targets so each worker starts where the previous one's share ends: round robin overall.
        const rotated = targets.map((_, position) => targets[(offset + position) % targets.length]);
        offset += shares[index];
        return shares[index] > 0 ? worker.call('connect', { targets: rotated, count: shares[index], concurrency }) : undefined;
      }),
    );
    const done = results.filter(Boolean);
    const errors = {};
    for (const result of done) for (const [message, count] of Object.entries(result.errors)) errors[message] = (errors[message] ?? 0) + count;
    const ok = done.reduce((sum, result) => sum + result.ok, 0);
    const elapsedMs = Math.max(...done.map((result) => result.elapsedMs));
    return { ok, failed: total - ok, errors, elapsedMs, perSecond: (ok / elapsedMs) * 1000, workers: done };
  }

  /**
   * Opens `total` idle lean sockets from lean load processes (as many as `perWorker` requires): socket i goes
   * to urls[i % urls.length] with tokens[i % tokens.length].
   * `authKind`: 'token' (gateways) or 'room' (the adapter baseline). Answers how many opened, how many never did,
   * the failed attempts (a failed handshake is retried) and their errors by message, and the rate (sockets / slowest
   * worker's time).
   */
  async connectLean({ urls, tokens, total, authKind = 'token', concurrency = 32, perWorker = LEAN_SOCKETS_PER_WORKER }) {
    if (perWorker > LEAN_SOCKETS_PER_WORKER) throw new Error(`at most ${LEAN_SOCKETS_PER_WORKER} lean sockets per load process (open-files limit)`);
    const count = Math.max(1, Math.ceil(total / perWorker));
    while (this.leanWorkers.length < count) this.leanWorkers.push(new LoadWorker(`lean-${this.leanWorkers.length + 1}`));
    const pool = this.leanWorkers.slice(0, count);
    let first = 0;
    const results = await Promise.all(
      pool.map((worker, index) => {
        const share = Math.floor(total / count) + (index < total % count ? 1 : 0);
        const args = { urls, tokens, first, count: share, concurrency, authKind };
        first += share;
        return worker.call('connectLean', args);
      }),
    );
    const errors = {};
    for (const result of results) for (const [message, n] of Object.entries(result.errors)) errors[message] = (errors[message] ?? 0) + n;
    const ok = results.reduce((sum, result) => sum + result.ok, 0);
    const failedAttempts = results.reduce((sum, result) => sum + result.failedAttempts, 0);
    const elapsedMs = Math.max(...results.map((result) => result.elapsedMs));
    return { ok, failed: total - ok, failedAttempts, errors, elapsedMs, perSecond: (ok / elapsedMs) * 1000, workers: pool.length };
  }

  async closeAll() {
    await Promise.all(this.#all().map((worker) => worker.call('closeAll')));
  }

  async status() {
    const statuses = await Promise.all(this.#all().map((worker) => worker.call('status')));
    return {
      held: statuses.reduce((sum, status) => sum + status.held, 0),
      unexpectedDisconnects: statuses.reduce((sum, status) => sum + status.unexpectedDisconnects, 0),
      reasons: statuses.reduce((all, status) => {
        for (const [reason, n] of Object.entries(status.unexpectedReasons)) all[reason] = (all[reason] ?? 0) + n;
        return all;
      }, {}),
    };
  }

  /** The load processes that hold background sockets (not the probe). */
  #all() {
    return [...this.workers, ...this.leanWorkers];
  }

  /** A worker of its own for a probe, so its timings do not share an event loop with thousands of sockets. */
  probe() {
    this.probeWorker ??= new LoadWorker('probe');
    return this.probeWorker;
  }

  async stopAll() {
    await Promise.all([...this.#all(), this.probeWorker].filter(Boolean).map((worker) => worker.stop()));
    this.workers = [];
    this.leanWorkers = [];
    this.probeWorker = undefined;
  }

  killAllNow() {
    for (const worker of [...this.#all(), this.probeWorker].filter(Boolean)) worker.killNow();
  }
}
