#!/usr/bin/env node
// `npm run soak`: the revocation conformance soak (soak/src, explained in soak/README.md). Builds the apps and the
// client bundle as `npm start` does, bundles the soak with esbuild, then runs it; its arguments are the soak's
// (`npm run soak -- --help`). Exit code: 0 when every invariant held, 1 on a violation, 2 when it could not run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildRunnable } from './lib/build.mjs';
import { say } from './lib/console.mjs';
import { assertNodeVersion, ensureSystemBinaries } from './lib/prerequisites.mjs';

const ROOT = join(import.meta.dirname, '..');
const SOAK_BUNDLE = join(ROOT, 'dist/soak/soak.js');

async function main() {
  assertNodeVersion();
  ensureSystemBinaries(['redis-server', 'nginx'], say);
  await buildRunnable({ log: say });
  say('Building the soak (esbuild → dist/soak/soak.js)…');
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'soak/src/main.ts')],
    outfile: SOAK_BUNDLE,
    tsconfig: join(ROOT, 'tsconfig.json'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  const soak = spawn(process.execPath, ['--enable-source-maps', SOAK_BUNDLE, ...process.argv.slice(2)], { stdio: 'inherit', cwd: ROOT });
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => soak.kill('SIGTERM'));
  return new Promise((resolve, reject) => {
    soak.once('error', reject);
    soak.once('exit', (code, signal) => resolve(code ?? (signal ? 2 : 1)));
  });
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say(`soak: ${error.message}`);
    process.exit(2);
  },
);
