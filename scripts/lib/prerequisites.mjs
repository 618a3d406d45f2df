import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The oldest Node that loads this project's ESM-only dependencies from Jest's CJS tests (`require(esm)`). */
const MINIMUM_NODE = [24, 9];

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** Thrown when a tool the scripts need is missing and cannot be installed here; the message says how to get it. */
export class MissingPrerequisiteError extends Error {
  name = 'MissingPrerequisiteError';
}

export function assertNodeVersion(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  const [wantMajor, wantMinor] = MINIMUM_NODE;
  if (major > wantMajor || (major === wantMajor && minor >= wantMinor)) return;
  throw new MissingPrerequisiteError(
    `Node ${version} is too old: this project needs Node >= ${wantMajor}.${wantMinor}. ` +
      'Run the scripts through npm (`npm start`, `npm test`), which uses node_modules/.bin/node from the `node` ' +
      'devDependency (run `npm ci` first), or call node_modules/.bin/node directly.',
  );
}

/** Absolute path of `name` on PATH or in the sbin directories (root-only tools such as nginx live there). */
export function findExecutable(name) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory: keep looking
    }
  }
  return undefined;
}

/** Binary → Debian package. Chromium is Debian's build, driven by playwright-core in the browser tests. */
const SYSTEM_PACKAGES = { 'redis-server': 'redis-server', nginx: 'nginx', chromium: 'chromium' };
const BREW_NAMES = { 'redis-server': 'redis', chromium: '--cask chromium' };

/**
 * Finds redis-server, nginx and chromium (only the binaries: the scripts start their own servers on their own
 * ports and never use the Debian services). When one is missing and we are root on Debian, installs the missing
 * ones with apt-get; otherwise throws a message saying exactly what to install.
 */
export function ensureSystemBinaries(names = Object.keys(SYSTEM_PACKAGES), log = console.log) {
  const missing = names.filter((name) => !findExecutable(name));
  if (missing.length > 0) installWithApt(missing.map((name) => SYSTEM_PACKAGES[name]), log);
  return Object.fromEntries(names.map((name) => [name, findExecutable(name)]));
}

function installWithApt(packages, log) {
  const aptGet = findExecutable('apt-get');
  const isRoot = process.getuid?.() === 0;
  if (!aptGet || !isRoot) {
    throw new MissingPrerequisiteError(
      `Missing ${packages.join(' and ')}. Install ${packages.length > 1 ? 'them' : 'it'} and run again:\n` +
        `  Debian/Ubuntu: sudo apt-get install -y ${packages.join(' ')}\n` +
        `  macOS:         brew install ${packages.map((name) => BREW_NAMES[name] ?? name).join(' ')}`,
    );
  }
  log(`Installing ${packages.join(' ')} with apt-get (only the binaries are used; no service is started by us)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', ...packages]]) {
    const result = spawnSync(aptGet, args, { stdio: 'inherit', env });
    if (result.status !== 0) {
      throw new MissingPrerequisiteError(`\`apt-get ${args.join(' ')}\` failed (exit ${result.status}); install ${packages.join(' ')} by hand.`);
    }
  }
}
