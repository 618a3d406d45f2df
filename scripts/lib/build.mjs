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
