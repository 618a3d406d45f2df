#!/usr/bin/env node
// `npm run build:packages` (part of `npm run build`): the publishable packages under libs/ (dist/ of each).
import { buildPackages } from './lib/packages.mjs';

const failed = await buildPackages();
if (failed.length > 0) {
  console.error(`build:packages: ${failed.join(', ')} failed`);
  process.exit(1);
}
