import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/**
 * A long-running child of the launcher. It gets its own process group, for two reasons: stopping the group also
 * stops whatever it forked (nginx workers), and Ctrl-C in the terminal reaches only the launcher, which then
 * stops the children in order (nginx, apps, Redis last).
 */
export function startService({ name, command, args, env, logFile, match, onLine }) {
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) {
    stream.pipe(log, { end: false });
    if (onLine) createInterface({ input: stream }).on('line', (line) => onLine(name, line));
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => log.end());
  const service = { name, child, pid: child.pid, match, logFile, exited, recentOutput: '' };
  // Kept from the start, so a readiness line printed before anyone waits for it (the caller awaits other
  // things first, e.g. the pid file) is not lost.
  child.stdout.on('data', (chunk) => (service.recentOutput = (service.recentOutput + chunk.toString()).slice(-4096)));
  return service;
}

/** SIGTERM to the service's group, then SIGKILL if it has not exited after `graceMs`. */
export async function stopService(service, graceMs = 10_000) {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  signalGroup(service.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(service.pid, 'SIGKILL'), graceMs);
  await service.exited;
  clearTimeout(timer);
}

/** Sends `signal` to every process of the group `pgid`; a group that is already gone is fine. */
export function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error; // ESRCH: the group is already gone
  }
}

/** Runs a short command with inherited output; resolves with its exit code. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/**
 * `.data/cluster.pids`: the launcher's pid and each service's process group, rewritten on every change, so a
 * launcher that died by `kill -9` leaves enough behind for the next run to stop its orphans.
 */
export class PidFile {
  constructor(file) {
    this.file = file;
    this.services = [];
  }

  /** Records the process group of `service`'s current life, replacing an earlier life of the same name. */
  async record(service) {
    const entry = { name: service.name, pgid: service.pid, match: service.match };
    const index = this.services.findIndex((known) => known.name === service.name);
    if (index === -1) this.services.push(entry);
    else this.services[index] = entry;
    await this.save();
  }

  async remove() {
    await this.saving?.catch(() => {});
    await rm(this.file, { force: true });
  }

  /**
   * Stops what a previous run left behind. Refuses if that run's launcher is still alive (two launchers would
   * fight over .data/redis). A recorded group is only signalled if one of its live members still runs the
   * recorded program, so a pid reused by an unrelated process is left alone.
   */
  async stopLeftovers(log) {
    const previous = await readFile(this.file, 'utf8').then(JSON.parse, () => undefined);
    if (!previous) return;
    const launcher = await commandLine(previous.launcher);
    if (previous.launcher !== process.pid && launcher?.includes('cluster.mjs')) {
      throw new Error(`Another cluster launcher is running (pid ${previous.launcher}). Stop it (Ctrl-C there, or kill ${previous.launcher}) first.`);
    }
    // Newest first: nginx, then the apps, then Redis, as in a normal stop.
    for (const { name, pgid, match } of [...(previous.services ?? [])].reverse()) {
      const members = await groupMembers(pgid);
      if (!members.some((member) => member.cmdline.includes(match))) continue;
      log(`Stopping ${name} left over from a previous run (process group ${pgid})`);
      signalGroup(pgid, 'SIGTERM');
      if (!(await groupGone(pgid, 10_000))) signalGroup(pgid, 'SIGKILL');
      await groupGone(pgid, 5_000);
    }
    await this.remove();
  }

  /**
   * Writes the file, whole (a temporary file renamed over it); writes are queued so that two lives recorded at once
   * never interleave, and one failed write does not stop the next.
   */
  save() {
    const content = `${JSON.stringify({ launcher: process.pid, services: this.services }, null, 2)}\n`;
    const write = async () => {
      await writeFile(`${this.file}.tmp`, content);
      await rename(`${this.file}.tmp`, this.file);
    };
    this.saving = (this.saving ?? Promise.resolve()).catch(() => {}).then(write);
    return this.saving;
  }
}

/**
 * Sends `signal` to the group of the service `name` recorded in the pid file `file` by a running launcher, if that
 * group still runs the recorded program. Resolves whether it was sent.
 */
export async function signalRecordedService(file, name, signal) {
  const recorded = await readFile(file, 'utf8').then(JSON.parse, () => undefined);
  const service = recorded?.services?.find((candidate) => candidate.name === name);
  if (!service) return false;
  const members = await groupMembers(service.pgid);
  if (!members.some((member) => member.cmdline.includes(service.match))) return false;
  signalGroup(service.pgid, signal);
  return true;
}

async function commandLine(pid) {
  if (!Number.isInteger(pid)) return undefined;
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return raw?.replaceAll('\0', ' ');
}

/** Live processes whose process group is `pgid` (Linux /proc; the leader may be gone while workers remain). */
async function groupMembers(pgid) {
  const entries = await readdir('/proc').catch(() => []);
  const members = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => undefined);
    // Fields after the parenthesised command name: state ppid pgrp …
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (!fields || Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
    members.push({ pid: Number(entry), cmdline: (await commandLine(Number(entry))) ?? '' });
  }
  return members;
}

async function groupGone(pgid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await groupMembers(pgid)).length === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
