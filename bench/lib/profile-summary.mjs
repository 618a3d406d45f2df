#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by package or area (our own code by file), then the top N
 * functions by self and by total time, each with its share of the busy time (samples that were not idle).
 *
 *   node bench/lib/profile-summary.mjs FILE.cpuprofile [--top N]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Areas of third-party packages, by package name (the first match wins). */
const PACKAGE_AREAS = [
  ['socket.io / engine.io / ws', /^(socket\.io|socket\.io-adapter|socket\.io-parser|engine\.io|engine\.io-parser|ws|@socket\.io\/.*|base64id|accepts|cors|vary)$/],
  ['@nestjs + rxjs', /^(@nestjs\/.*|rxjs|reflect-metadata|tslib)$/],
  ['passport / passport-jwt', /^(passport|passport-jwt|passport-custom|passport-strategy)$/],
  ['jsonwebtoken / crypto', /^(jsonwebtoken|jws|jwa|ecdsa-sig-formatter|buffer-equal-constant-time|safe-buffer|ms|semver|lodash\..*)$/],
  ['jose', /^jose$/],
  ['ioredis', /^(ioredis|@ioredis\/.*|redis-parser|redis-errors|denque|cluster-key-slot|standard-as-callback)$/],
  ['zod', /^zod$/],
  ['pino / logging', /^(pino|pino-.*|nestjs-pino|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify)$/],
  ['prom-client', /^(prom-client|tdigest|bintrees)$/],
];

/** The area a call frame's self time belongs to. */
export function areaOf({ url, functionName }) {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return '(idle)';
    return 'node internals / native';
  }
  if (url.startsWith('node:internal/crypto')) return 'jsonwebtoken / crypto';
  if (url.startsWith('node:')) return 'node internals / native';
  const path = decodeURIComponent(url.replace(/^file:\/\//, ''));
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const [scope, name] = path.slice(inModules + '/node_modules/'.length).split('/');
    const pkg = scope.startsWith('@') ? `${scope}/${name}` : scope;
    if (pkg.startsWith('@sessionwire/')) return ours(path);
    return PACKAGE_AREAS.find(([, pattern]) => pattern.test(pkg))?.[0] ?? `other: ${pkg}`;
  }
  return ours(path);
}

/** Our code, by file from its `libs/` or `apps/` folder on (a package's bundle, `libs/<name>/dist/`, is one file). */
function ours(path) {
  const from = path.search(/\/(libs|apps)\/[^/]+\/(src|dist)\//);
  return `ours: ${from >= 0 ? path.slice(from + 1) : path}`;
}

function functionKey({ functionName, url, lineNumber, columnNumber }) {
  return `${functionName || '(anonymous)'} ${url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(libs|apps)\//, '$1/')}:${lineNumber + 1}:${columnNumber + 1}`;
}

/**
 * Self time per area and per function, and total (inclusive) time per function, in ms. A function on the stack more
 * than once (recursion) counts once per sample in its total.
 */
export function summarizeProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfByArea = new Map();
  const selfByFunction = new Map();
  const totalByFunction = new Map();
  const add = (map, key, ms) => map.set(key, (map.get(key) ?? 0) + ms);
  let busyMs = 0;
  let idleMs = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the sample stands for the interval up to the next one.
    const ms = (timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(samples[i]);
    const area = areaOf(node.callFrame);
    if (area === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    add(selfByArea, area, ms);
    add(selfByFunction, functionKey(node.callFrame), ms);
    const onStack = new Set();
    for (let id = node.id; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id).callFrame;
      if (frame.functionName === '(root)') continue;
      onStack.add(functionKey(frame));
    }
    for (const key of onStack) add(totalByFunction, key, ms);
  }
  const sorted = (map) => [...map].map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 })).sort((a, b) => b.ms - a.ms);
  return { busyMs, idleMs, areas: sorted(selfByArea), self: sorted(selfByFunction), total: sorted(totalByFunction) };
}

/** The summary as text tables. */
export function formatSummary(summary, top = 25) {
  const row = ({ name, ms, share }) => `${ms.toFixed(1).padStart(10)} ms ${(share * 100).toFixed(1).padStart(6)} %  ${name}`;
  return [
    `busy ${summary.busyMs.toFixed(1)} ms, idle ${summary.idleMs.toFixed(1)} ms (shares are of busy time)`,
    '',
    'self time by area',
    ...summary.areas.map(row),
    '',
    `top ${top} functions by self time`,
    ...summary.self.slice(0, top).map(row),
    '',
    `top ${top} functions by total time`,
    ...summary.total.slice(0, top).map(row),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
  if (args.length !== 1 || !Number.isInteger(top) || top < 1) {
    console.error('usage: node bench/lib/profile-summary.mjs FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  console.log(formatSummary(summarizeProfile(JSON.parse(readFileSync(args[0], 'utf8'))), top));
}
