import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export const APP_ENTRY = {
  auth: join(ROOT, 'dist/apps/auth/apps/auth/src/main.js'),
  gateway: join(ROOT, 'dist/apps/gateway/apps/gateway/src/main.js'),
} as const;

/** One app running as its own OS process (the node that runs Jest: Node 24), with its JSON log kept. */
export class AppProcess {
  private output = '';
  private exited?: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.append(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.append(chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawns the app and resolves once it logs that it listens; rejects with its log if it exits first. */
  static async start(name: string, app: keyof typeof APP_ENTRY, env: Record<string, string>): Promise<AppProcess> {
    const entry = APP_ENTRY[app];
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does).`);
    return AppProcess.launch(name, entry, env);
  }

  /**
   * Spawns any Node program (`entry` with `args`, run in `cwd`) and resolves once it logs that it listens, as `start`
   * does.
   */
  static async launch(name: string, entry: string, env: Record<string, string>, { cwd, args = [] }: { cwd?: string; args?: string[] } = {}): Promise<AppProcess> {
    const child = spawn(process.execPath, [entry, ...args], { cwd, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const app_ = new AppProcess(name, child);
    await app_.waitForLog(/listening on http/, 30_000);
    return app_;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when a log line matches `pattern` (lines already written count). */
  waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const line = this.output.split('\n').find((candidate) => pattern.test(candidate));
        if (line === undefined) return false;
        cleanup();
        resolve(line);
        return true;
      };
      const onData = () => void check();
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`${this.name} exited (${code}) before logging ${pattern}:\n${this.tail()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name} did not log ${pattern} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.off('exit', onExit);
      };
      if (check()) return;
      this.child.stdout?.on('data', onData);
      this.child.once('exit', onExit);
    });
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited ?? null;
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the process, or asks it to reload (SIGHUP: the auth app's key files). */
  signal(signal: 'SIGSTOP' | 'SIGCONT' | 'SIGHUP'): void {
    this.child.kill(signal);
  }

  logs(): string {
    return this.output;
  }

  tail(lines = 30): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  private append(chunk: Buffer): void {
    this.output += chunk.toString();
    if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
  }
}
