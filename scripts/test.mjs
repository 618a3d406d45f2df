#!/usr/bin/env node
// `npm test`: checks Node, makes sure redis-server, nginx and chromium are installed (the tests start their own
// servers on free ports, the Debian services are never used; the browser tests drive Debian's Chromium with
// playwright-core), builds both apps, the client SDK bundle and the packages under libs/, then runs every Jest project in band.
// Extra arguments go to Jest: `npm test -- --selectProjects unit`, `npm test -- test/auth`.
// SESSIONWIRE_TEST_RUNTIME (auto, local, containers; README, Tests) chooses whether the harness runs Redis and nginx
// as local processes or in containers; Jest's integration setup prints which. The local binaries stay required:
// the Sentinel, Cluster and launcher tests run them under every runtime.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { buildApps, buildClientBundle } from './lib/build.mjs';
import { say } from './lib/console.mjs';
import { buildPackages } from './lib/packages.mjs';
import { assertNodeVersion, ensureSystemBinaries } from './lib/prerequisites.mjs';

const JEST = ['--experimental-vm-modules', '--no-warnings', 'node_modules/jest/bin/jest.js', '--runInBand'];

/**
 * The environment Jest runs in: the servers' directories on PATH (nginx lives in /usr/sbin, often not on a
 * user's PATH) plus their exact paths, and no REDIS_URL inherited from the shell, so no test can quietly use a
 * Redis that something else started.
 */
function jestEnvironment(binaries) {
  const env = { ...process.env };
  delete env.REDIS_URL;
  const extraPath = [...new Set(Object.values(binaries).map((binary) => dirname(binary)))];
  return {
    ...env,
    PATH: [...extraPath, env.PATH].filter(Boolean).join(':'),
    REDIS_SERVER_BIN: binaries['redis-server'],
    NGINX_BIN: binaries.nginx,
    CHROMIUM_BIN: binaries.chromium,
  };
}

async function main() {
  assertNodeVersion();
  const binaries = ensureSystemBinaries(['redis-server', 'nginx', 'chromium'], say);

  const failedBuilds = await buildApps(['auth', 'gateway'], say);
  // Multi-node tests run the apps from dist/: never let them test a stale build.
  if (failedBuilds.length > 0) throw new Error(`build failed for ${failedBuilds.join(', ')}; fix it before testing`);
  // The browser and nginx tests load the client SDK bundle through nginx.
  await buildClientBundle(say);
  // The package tests install the packed tarballs, as a user would.
  const failedPackages = await buildPackages(say);
  if (failedPackages.length > 0) throw new Error(`build failed for ${failedPackages.join(', ')}; fix it before testing`);

  const jest = spawn(process.execPath, [...JEST, ...process.argv.slice(2)], { stdio: 'inherit', env: jestEnvironment(binaries) });
  // Ctrl-C reaches Jest directly (same process group), so we only wait for it; a SIGTERM sent to us alone
  // (a CI timeout) is passed on so Jest can stop the servers its suites started.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => jest.kill('SIGTERM'));
  return new Promise((resolve, reject) => {
    jest.once('error', reject);
    jest.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say(`test: ${error.message}`);
    process.exit(1);
  },
);
