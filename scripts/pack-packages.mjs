#!/usr/bin/env node
// `npm run pack:packages`: builds the packages under libs/ and packs each into dist/packages/<name>-<version>.tgz,
// the tarballs a project installs with `npm install ./path/to/sessionwire-server-0.1.0.tgz` until they are published.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPackages, packPackage, workspacePackages } from './lib/packages.mjs';

const destination = join(import.meta.dirname, '../dist/packages');
const failed = await buildPackages();
if (failed.length > 0) {
  console.error(`pack:packages: ${failed.join(', ')} failed to build`);
  process.exit(1);
}
await mkdir(destination, { recursive: true });
for (const { dir } of workspacePackages()) {
  const { tarball } = await packPackage(dir, destination);
  console.log(tarball);
}
