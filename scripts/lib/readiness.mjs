/* global fetch, AbortSignal */
import { Buffer } from 'node:buffer';
import { open } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';

/** Thrown when a process does not become ready in time or dies first; carries the end of its log. */
export class NotReadyError extends Error {
  name = 'NotReadyError';
}

const POLL_INTERVAL_MS = 200;

/**
 * Resolves when GET `url` answers 200. Rejects as soon as `child` exits, or after `timeoutMs`, with the last
 * lines of `logFile` so the reason (bad config, Redis down…) is on screen. HTTP has no "ready" event to await,
 * so this polls; the child's exit is awaited as an event. `ca` (PEM) trusts a self-signed https certificate.
 */
export async function waitForHttpOk({ name, url, child, logFile, timeoutMs, ca }) {
  const deadline = Date.now() + timeoutMs;
  let lastAnswer = 'no answer yet';
  let exited;
  const onExit = (code, signal) => (exited = signal ?? `code ${code}`);
  child.once('exit', onExit);
  try {
    while (Date.now() < deadline) {
      if (exited) throw await notReady(`${name} exited (${exited}) before ${url} answered 200.`, logFile);
      try {
        const status = await statusOf(url, ca);
        if (status === 200) return;
        lastAnswer = `HTTP ${status}`;
      } catch (error) {
        lastAnswer = error.cause?.code ?? error.code ?? error.message;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    throw await notReady(`${name} was not healthy within ${timeoutMs / 1000}s (${url}: ${lastAnswer}).`, logFile);
  } finally {
    child.off('exit', onExit);
  }
}

/** The status of GET `url` (2 s at most); with `ca`, over https trusting that certificate (fetch cannot). */
async function statusOf(url, ca) {
  if (!ca) {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status;
  }
  return new Promise((resolve, reject) => {
    const request = httpsGet(url, { ca, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.once('timeout', () => request.destroy(new Error('no answer within 2 s')));
    request.once('error', reject);
  });
}

/**
 * Resolves when `child` prints `text` on stdout (e.g. redis-server's "Ready to accept connections"), counting
 * what it printed before the call: `recentOutput` (a service from startService keeps it).
 */
export function waitForOutput({ name, child, text, logFile, timeoutMs, recentOutput = '' }) {
  if (recentOutput.includes(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let seen = recentOutput;
    const fail = async (reason) => {
      cleanup();
      reject(await notReady(reason, logFile));
    };
    const onData = (chunk) => {
      seen = (seen + chunk.toString()).slice(-4096);
      if (!seen.includes(text)) return;
      cleanup();
      resolve();
    };
    const onExit = (code, signal) => fail(`${name} exited (${signal ?? `code ${code}`}) before it printed "${text}".`);
    const timer = setTimeout(() => fail(`${name} did not print "${text}" within ${timeoutMs / 1000}s.`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

async function notReady(reason, logFile) {
  const tail = await lastLines(logFile, 20);
  return new NotReadyError(`${reason}\nLast lines of ${logFile}:\n${tail || '  (empty)'}`);
}

/** The last `count` lines of a file, indented; reads only its end so a large log costs nothing. */
export async function lastLines(file, count) {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, 16_384);
    const { buffer } = await handle.read(Buffer.alloc(length), 0, length, size - length);
    return buffer
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .slice(-count)
      .map((line) => `  ${line}`)
      .join('\n');
  } finally {
    await handle.close();
  }
}
