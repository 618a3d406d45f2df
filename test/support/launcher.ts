import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

const ROOT = join(__dirname, '..', '..');

/** A service as `.data/cluster.pids` records it: its current life's process group. */
export interface LaunchedService {
  name: string;
  pgid: number;
}

export interface LauncherOptions {
  gateways?: number;
  /** Passed to `npm start` on top of the test's environment (e.g. ADMIN_USERNAME, DRAIN_WINDOW, LOG_LEVEL). */
  env?: Record<string, string>;
  /** More options for `npm start` (e.g. `--oidc`). */
  args?: string[];
}

/**
 * `npm start` itself, the command a user runs: `npm start -- --no-build --port P --data-dir D` in its own process
 * group (as a terminal runs it, so `interrupt()` is a real Ctrl-C), with a private data directory and a free
 * public port. Needs a built dist/ (npm test builds it).
 */
export class Launcher {
  private output = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
  ) {
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves once the launcher printed "sessionwire is up"; rejects with its output if it exits or stalls first. */
  static async start(options: LauncherOptions = {}): Promise<Launcher> {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'sessionwire-launcher-'));
    const args = ['start', '--', '--no-build', '--port', String(port), '--data-dir', dataDir, '--gateways', String(options.gateways ?? 3), ...(options.args ?? [])];
    const child = spawn('npm', args, { cwd: ROOT, env: { ...process.env, ...options.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const launcher = new Launcher(child, port, dataDir);
    try {
      await launcher.waitForOutput(/sessionwire is up/, 120_000);
    } catch (error) {
      await launcher.kill();
      throw error;
    }
    return launcher;
  }

  /** The public URL (nginx). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The browser origin of the public URL, which the launcher allows. */
  get origin(): string {
    return this.url;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the launcher printed so far. */
  printed(): string {
    return this.output;
  }

  /** Resolves with the first printed line matching `pattern` (lines printed before the call count). */
  async waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.output.split('\n').find((candidate) => pattern.test(candidate));
      if (line !== undefined) return line;
      if (!this.running) throw new Error(`npm start exited before printing ${pattern}:\n${this.output.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`npm start did not print ${pattern} within ${timeoutMs} ms:\n${this.output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The services and their current process groups, from the pid file the launcher rewrites on every restart. */
  async services(): Promise<LaunchedService[]> {
    const { services } = JSON.parse(await readFile(join(this.dataDir, 'cluster.pids'), 'utf8')) as { services: LaunchedService[] };
    return services;
  }

  async service(name: string): Promise<LaunchedService> {
    const service = (await this.services()).find((candidate) => candidate.name === name);
    if (!service) throw new Error(`no service ${name} in the pid file`);
    return service;
  }

  /** Sends `signal` to the named service's whole process group (kill -9, a SIGTERM drain, SIGSTOP…). */
  async signalService(name: string, signal: NodeJS.Signals): Promise<LaunchedService> {
    const service = await this.service(name);
    process.kill(-service.pgid, signal);
    return service;
  }

  /**
   * Ctrl-C, as a terminal sends it (to the whole foreground group). npm itself exits at once on SIGINT while the
   * launcher stops the services in order, so this resolves when the launcher (its pid is in the pid file) is gone.
   */
  async interrupt(): Promise<void> {
    const launcherPid = await this.launcherPid();
    if (this.running) process.kill(-this.child.pid!, 'SIGINT');
    await this.exited;
    while (launcherPid !== undefined && processAlive(launcherPid)) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  private async launcherPid(): Promise<number | undefined> {
    const pids = await readFile(join(this.dataDir, 'cluster.pids'), 'utf8').then((text) => JSON.parse(text) as { launcher: number }, () => undefined);
    return pids?.launcher;
  }

  /** Resolves with the launcher's exit (code or signal). */
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }

  /**
   * Stops everything whatever state it is in (Ctrl-C, then SIGKILL to every recorded group if that hangs) and removes
   * the data directory, unless `keepData` (its logs explain a failure).
   */
  async kill({ keepData = false } = {}): Promise<void> {
    const services = await this.services().catch(() => []);
    const stopped = await Promise.race([this.interrupt().then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 30_000))]);
    if (!stopped) {
      for (const group of [this.child.pid!, ...services.map((service) => service.pgid)]) signalGroupIfAlive(group, 'SIGKILL');
    }
    if (!keepData) await rm(this.dataDir, { recursive: true, force: true });
  }
}

function signalGroupIfAlive(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Signal 0 probes a process (or, negative, a process group) without signalling it. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of group `pgid` is still alive. */
export function groupAlive(pgid: number): boolean {
  return processAlive(-pgid);
}
