import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { packPackage } from '../../scripts/lib/packages.mjs';

const ROOT = join(__dirname, '..', '..');
const execFileAsync = promisify(execFile);

/** An npm project in a temporary directory with packed packages installed from their tarballs. */
export interface PackedProject {
  dir: string;
  cleanup(): Promise<void>;
}

/** The version of `name` in the root's node_modules (what the repository's own tests run against). */
export function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Packs each of `packageDirs` (`npm pack`) and installs the tarballs, with `dependencies` (names, at their
 * `installedVersion`), into an empty ESM project, as a user would: no workspace links, nothing of the repository
 * reachable from the project's node_modules.
 */
export async function installPackedPackages(packageDirs: readonly string[], dependencies: readonly string[]): Promise<PackedProject> {
  const dir = await mkdtemp(join(tmpdir(), 'sessionwire-consumer-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const tarballs: string[] = [];
    for (const packageDir of packageDirs) tarballs.push((await packPackage(packageDir, dir)).tarball!);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
    const specs = dependencies.map((name) => `${name}@${installedVersion(name)}`);
    await execFileAsync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs, ...specs], { cwd: dir });
    return { dir, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export interface TypeCheckResult {
  code: number;
  /** tsc's diagnostics (`file(line,col): error TSxxxx: …`, paths relative to the tsconfig's directory), one per line. */
  output: string;
}

/** The root's TypeScript compiler on the project `tsconfig` (no emit expected of it), run in its directory. */
export async function typeCheck(tsconfig: string): Promise<TypeCheckResult> {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  try {
    const { stdout } = await execFileAsync(process.execPath, [tsc, '-p', tsconfig, '--pretty', 'false'], { cwd: dirname(tsconfig) });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}
