#!/usr/bin/env node
// `npm run contracts:asyncapi`: writes docs/asyncapi.json (the AsyncAPI 3 document of the Socket.IO events and Redis
// channels) from libs/contracts. Run it after changing an event or a channel message: the contracts' spec fails while
// the committed document differs from what this writes.
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { say } from './lib/console.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = join(ROOT, 'dist/contracts/asyncapi.document.cjs');
const ASYNCAPI_DOCUMENT = join(ROOT, 'docs/asyncapi.json');

const { build } = await import('esbuild');
await build({
  entryPoints: [join(ROOT, 'libs/contracts/src/asyncapi.document.ts')],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  packages: 'external',
  logLevel: 'warning',
});
const { buildAsyncApiDocument } = createRequire(import.meta.url)(BUNDLE);
await writeFile(ASYNCAPI_DOCUMENT, `${JSON.stringify(buildAsyncApiDocument(), null, 2)}\n`);
say(`Wrote ${ASYNCAPI_DOCUMENT}`);
