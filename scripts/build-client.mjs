#!/usr/bin/env node
// `npm run build:client` (part of `npm run build`): the browser bundle of the client SDK, dist/client/.
import { buildClientBundle } from './lib/build.mjs';

buildClientBundle().catch((error) => {
  console.error(`build:client: ${error.message}`);
  process.exit(1);
});
