import { join } from 'node:path';
import { buildPackages } from './packages.mjs';
import { run } from './processes.mjs';

const NEST_CLI = 'node_modules/@nestjs/cli/bin/nest.js';

/**
 * The npm `build` script (`nest build auth && nest build gateway`), one app at a time so a failure names the
 * app and does not hide whether the other one built. Resolves with the projects that failed.
 */
export async function buildApps(projects = ['auth', 'gateway'], log = console.log) {
  const failed = [];
  for (const project of projects) {
    log(`Building ${project} (nest build ${project})…`);
    const code = await run(process.execPath, [NEST_CLI, 'build', project]);
    if (code !== 0) failed.push(project);
  }
  return failed;
}

/** Where `npm run build:client` writes the browser bundle; nginx serves this folder at /vendor/. */
export const CLIENT_BUNDLE_DIR = join(import.meta.dirname, '../../dist/client');
export const CLIENT_BUNDLE_FILE = 'sessionwire-client.js';

/**
 * The client SDK (libs/client) and socket.io-client as one ES module for browsers, with a source map. The
 * contracts are imported as types only, so nothing of zod ends up in it. esbuild is a devDependency: loaded
 * here, not at the top, so `npm start -- --no-build` works without it.
 */
export async function buildClientBundle(log = console.log) {
  log(`Building the client SDK bundle (esbuild → dist/client/${CLIENT_BUNDLE_FILE})…`);
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(import.meta.dirname, '../../libs/client/src/index.ts')],
    outfile: join(CLIENT_BUNDLE_DIR, CLIENT_BUNDLE_FILE),
    tsconfig: join(import.meta.dirname, '../../tsconfig.json'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
}

/**
 * Everything a started app process loads: the apps, then the workspace packages (Nest's build leaves each
 * `@sessionwire/*` import to resolve to the package's own dist/, so a run without them would load stale or missing
 * code), and the browser bundle when asked. Throws naming what failed.
 */
export async function buildRunnable({ apps = ['auth', 'gateway'], clientBundle = true, log = console.log } = {}) {
  const failedApps = await buildApps(apps, log);
  if (failedApps.length > 0) throw new Error(`Build failed for ${failedApps.join(', ')} (see the compiler output above).`);
  if (clientBundle) await buildClientBundle(log);
  const failedPackages = await buildPackages(log);
  if (failedPackages.length > 0) throw new Error(`Build failed for ${failedPackages.join(', ')} (see the output above).`);
}
