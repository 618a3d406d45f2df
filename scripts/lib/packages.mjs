import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { run } from './processes.mjs';

const ROOT = join(import.meta.dirname, '../..');
const TSUP = join(ROOT, 'node_modules/tsup/dist/cli-default.js');
const execFileAsync = promisify(execFile);

/** The publishable packages: the npm workspaces under libs/, each with its package.json. */
export function workspacePackages() {
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return workspaces.map((dir) => ({ dir: join(ROOT, dir), manifest: JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) }));
}

/**
 * Builds every package with tsup (libs/tsup.config.ts, or a package's own next to it), one at a time so a failure
 * names the package. Resolves with the names that failed.
 */
export async function buildPackages(log = console.log) {
  const failed = [];
  for (const { dir, manifest } of workspacePackages()) {
    log(`Building ${manifest.name} (tsup)…`);
    const code = await run(process.execPath, [TSUP, '--silent'], { cwd: dir });
    if (code !== 0) failed.push(manifest.name);
  }
  return failed;
}

/** `npm pack` of one package into `destination` (or `--dry-run` without one); resolves with npm's JSON report. */
export async function packPackage(dir, destination) {
  const args = ['pack', '--json', ...(destination ? ['--pack-destination', destination] : ['--dry-run'])];
  const { stdout } = await execFileAsync('npm', args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  const [report] = JSON.parse(stdout);
  return { ...report, tarball: destination ? join(destination, report.filename) : undefined };
}
