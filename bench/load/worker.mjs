/* global fetch */
// A load-generator process: real socket.io-client connections (websocket transport) and HTTP calls, driven
// by the benchmark over IPC. It never shares a process with a server. Every time is measured here, with this
// process's own monotonic clock, so no cross-process clock is ever compared.
//
// Requests: {id, cmd, args}; answers: {id, ok, result} or {id, ok: false, error}.
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { USER_LOGGED_OUT_CHANNEL } from '@sessionwire/revoke';
import { summarize } from '../lib/stats.mjs';
import { openLeanSocket } from './lean-client.mjs';

const CONNECT_TIMEOUT_MS = 20_000;
/** The channel on which @socket.io/redis-adapter (default key `socket.io`) sends requests such as disconnectSockets() for namespace `/`. */
const ADAPTER_REQUEST_CHANNEL = 'socket.io-request#/#';
/** Attempts per lean background socket (1 + retries). */
const LEAN_ATTEMPTS = 3;

/** Sockets opened by `connect` and kept open until `closeAll`. */
const held = new Set();
/** Lean sockets (lean-client.mjs) opened by `connectLean`, kept open until `closeAll`. */
const heldLean = new Set();
let unexpectedDisconnects = 0;
const unexpectedReasons = {};

function countLost(reason) {
  unexpectedDisconnects++;
  unexpectedReasons[reason] = (unexpectedReasons[reason] ?? 0) + 1;
}

function openSocket(url, auth, timeoutMs = CONNECT_TIMEOUT_MS) {
  // The same options for the gateway and the baseline: websocket only, no reconnection, one Manager per socket.
  return io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: timeoutMs, auth });
}

/** Resolves with the socket once connected; rejects with the connect_error (its message is the code). */
function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

function disconnectedAt(socket, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still connected after ${timeoutMs} ms`)), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve({ at: performance.now(), reason });
    });
  });
}

/**
 * A subscriber of this process's own on `channel`: `arrival(matches)` resolves at the moment (this process's clock) the
 * next message that `matches(payload)` reaches the subscribers, i.e. when the revocation was published, so each
 * latency splits into before and after the message; with null when none came within `timeoutMs`.
 */
async function watchChannel(redisUrl, channel) {
  const subscriber = new Redis(redisUrl);
  const waiting = new Set();
  subscriber.on('message', (_channel, payload) => {
    const at = performance.now();
    for (const waiter of waiting) {
      if (waiter.matches(payload)) waiter.settle(at);
    }
  });
  await subscriber.subscribe(channel);
  return {
    arrival: (matches, timeoutMs) =>
      new Promise((resolve) => {
        const waiter = {
          matches,
          settle: (at) => {
            waiting.delete(waiter);
            clearTimeout(timer);
            resolve(at);
          },
        };
        const timer = setTimeout(() => waiter.settle(null), timeoutMs);
        waiting.add(waiter);
      }),
    close: () => subscriber.disconnect(),
  };
}

/** A revocation's latency (call sent → last socket disconnected), split where its message was published (null: not seen). */
function split(t0, publishedAt, disconnects) {
  const lastAt = Math.max(...disconnects.map((entry) => entry.at));
  const seen = publishedAt !== null;
  return { latencyMs: lastAt - t0, publishedMs: seen ? publishedAt - t0 : null, afterMessageMs: seen ? lastAt - publishedAt : null };
}

/** The `sid` claim of an access token (read, not verified: the probe only matches its own revocation's message). */
function sessionIdOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).sid;
}

const handlers = {
  /**
   * Opens `count` sockets, target i = targets[i % targets.length] ({url, auth}), with at most `concurrency`
   * handshakes in flight, and keeps them open. Answers with the rate and the per-handshake latencies.
   */
  async connect({ targets, count, concurrency }) {
    const latencies = [];
    const errors = {};
    let next = 0;
    const started = performance.now();
    const lane = async () => {
      while (next < count) {
        const target = targets[next % targets.length];
        next++;
        const t0 = performance.now();
        try {
          const socket = await connected(openSocket(target.url, target.auth));
          latencies.push(performance.now() - t0);
          held.add(socket);
          socket.once('disconnect', (reason) => {
            if (!held.has(socket)) return;
            held.delete(socket);
            countLost(reason);
          });
        } catch (error) {
          const key = error.message || String(error);
          errors[key] = (errors[key] ?? 0) + 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
    const elapsedMs = performance.now() - started;
    return { ok: latencies.length, failed: count - latencies.length, errors, elapsedMs, latency: summarize(latencies) };
  },

  /**
   * Idle background sockets through the lean client: socket i (0-based, counted from `first`) goes to
   * urls[i % urls.length] with tokens[i % tokens.length]; `auth` is `{token}` or, for the adapter baseline, `{room}`
   * (a room per token, as the gateway puts each socket in its session's room). A socket whose handshake fails is
   * tried again, up to LEAN_ATTEMPTS in all, as a real client would reconnect: every failed attempt is counted by
   * its error (`errors`, `failedAttempts`), `failed` counts sockets that never connected.
   */
  async connectLean({ urls, tokens, first, count, concurrency, authKind }) {
    const errors = {};
    let ok = 0;
    let failedAttempts = 0;
    let next = 0;
    const started = performance.now();
    const open = async (index) => {
      const tokenIndex = index % tokens.length;
      const auth = authKind === 'room' ? { room: `bg-${tokenIndex}` } : { token: tokens[tokenIndex] };
      for (let attempt = 1; attempt <= LEAN_ATTEMPTS; attempt++) {
        try {
          const socket = await openLeanSocket({
            url: urls[index % urls.length],
            auth,
            timeoutMs: CONNECT_TIMEOUT_MS,
            onLost: (reason) => {
              heldLean.delete(socket);
              countLost(reason);
            },
          });
          heldLean.add(socket);
          ok++;
          return;
        } catch (error) {
          const key = error.message || String(error);
          errors[key] = (errors[key] ?? 0) + 1;
          failedAttempts++;
        }
      }
    };
    const lane = async () => {
      while (next < count) await open(first + next++);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
    const elapsedMs = performance.now() - started;
    return { ok, failed: count - ok, failedAttempts, errors, elapsedMs };
  },

  async closeAll() {
    const sockets = [...held];
    const lean = [...heldLean];
    held.clear();
    heldLean.clear();
    for (const socket of sockets) socket.close();
    for (const socket of lean) socket.close();
    return { closed: sockets.length + lean.length };
  },

  status() {
    return { held: held.size + heldLean.size, unexpectedDisconnects, unexpectedReasons };
  },

  /**
   * Forced logout through the system: for each session, one socket on every gateway, then POST /auth/logout
   * with its access token; latency = from just before the request to the last socket's `disconnect`, split where the
   * session's `user-logged-out` message reached a subscriber of this process.
   */
  async logoutProbe({ gatewayUrls, authUrl, redisUrl, tokens, warmup = 0 }) {
    const messages = await watchChannel(redisUrl, USER_LOGGED_OUT_CHANNEL);
    try {
      return await probeLoop(tokens, warmup, (token) =>
        withSockets(gatewayUrls.map((url) => openSocket(url, { token })), async (sockets) => {
          let endedEvents = 0;
          for (const socket of sockets) socket.once('session:ended', () => endedEvents++);
          const gone = sockets.map((socket) => disconnectedAt(socket, 10_000));
          const sessionId = sessionIdOf(token);
          const published = messages.arrival((payload) => JSON.parse(payload).sessionIds?.includes(sessionId) === true, 10_000);
          const t0 = performance.now();
          const response = await fetch(`${authUrl}/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
          const httpMs = performance.now() - t0;
          await response.arrayBuffer();
          if (response.status !== 204) throw new Error(`logout answered ${response.status}`);
          const disconnects = await Promise.all(gone);
          return { ...split(t0, await published, disconnects), httpMs, endedEvents, reasons: disconnects.map((entry) => entry.reason) };
        }),
      );
    } finally {
      messages.close();
    }
  },

  /**
   * Socket.IO's own cross-node disconnect: for each room, one socket per node joins it, then POST /disconnect
   * on one node (round robin) runs `io.in(room).disconnectSockets(true)` through the Redis adapter; the split is
   * where the adapter's request for that room reached a subscriber of this process.
   */
  async adapterProbe({ nodeUrls, redisUrl, rooms, warmup = 0 }) {
    const requests = await watchChannel(redisUrl, ADAPTER_REQUEST_CHANNEL);
    let turn = 0;
    try {
      return await probeLoop(rooms, warmup, (room) =>
        withSockets(nodeUrls.map((url) => openSocket(url, { room })), async (sockets) => {
          const gone = sockets.map((socket) => disconnectedAt(socket, 10_000));
          const published = requests.arrival((payload) => JSON.parse(payload).opts?.rooms?.includes(room) === true, 10_000);
          const trigger = nodeUrls[turn++ % nodeUrls.length];
          const t0 = performance.now();
          const response = await fetch(`${trigger}/disconnect?room=${encodeURIComponent(room)}`, { method: 'POST' });
          const httpMs = performance.now() - t0;
          await response.arrayBuffer();
          if (response.status !== 204) throw new Error(`disconnect answered ${response.status}`);
          const disconnects = await Promise.all(gone);
          return { ...split(t0, await published, disconnects), httpMs, reasons: disconnects.map((entry) => entry.reason) };
        }),
      );
    } finally {
      requests.close();
    }
  },

  /** The floor: PUBLISH on one connection → the message on a subscribed connection, one at a time. */
  async publishProbe({ redisUrl, count, warmup = 0 }) {
    const publisher = new Redis(redisUrl);
    const subscriber = new Redis(redisUrl);
    const channel = `bench-probe-${process.pid}`;
    await subscriber.subscribe(channel);
    let arrived;
    subscriber.on('message', () => arrived?.(performance.now()));
    try {
      return await probeLoop(
        Array.from({ length: count }, (_, index) => index),
        warmup,
        async (index) => {
          const received = new Promise((resolve) => (arrived = resolve));
          const t0 = performance.now();
          await publisher.publish(channel, String(index));
          return { latencyMs: (await received) - t0 };
        },
      );
    } finally {
      publisher.disconnect();
      subscriber.disconnect();
    }
  },

  /**
   * HTTP load for `durationMs`: `concurrency` clients, each its own user. `login`: POST /auth/login in a loop.
   * `refresh`: one login each, then POST /auth/refresh in a loop, always with the newest refresh token.
   */
  async httpLoad({ kind, authUrl, users, concurrency, durationMs }) {
    const latencies = [];
    const errors = {};
    const post = async (path, body) => {
      const response = await fetch(`${authUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = await response.json();
      if (response.status !== 200) throw new Error(`${path} ${response.status} ${json.code ?? ''}`);
      return json;
    };
    const clients = users.slice(0, concurrency);
    const refreshTokens = kind === 'refresh' ? await Promise.all(clients.map((user) => post('/auth/login', user).then((body) => body.refreshToken))) : [];
    const deadline = performance.now() + durationMs;
    const started = performance.now();
    await Promise.all(
      clients.map(async (user, index) => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            if (kind === 'login') await post('/auth/login', user);
            else refreshTokens[index] = (await post('/auth/refresh', { refreshToken: refreshTokens[index] })).refreshToken;
            latencies.push(performance.now() - t0);
          } catch (error) {
            errors[error.message] = (errors[error.message] ?? 0) + 1;
            await sleep(10);
          }
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    return { ok: latencies.length, errors, elapsedMs, perSecond: (latencies.length / elapsedMs) * 1000, latency: summarize(latencies) };
  },
};

/** Connects all `sockets`, runs `use` with them, and closes whatever is still open afterwards, even on failure. */
async function withSockets(sockets, use) {
  try {
    const outcomes = await Promise.allSettled(sockets.map(connected));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return await use(sockets);
  } finally {
    for (const socket of sockets) socket.close();
  }
}

/** Runs `measure` for each item in turn; the first `warmup` results are dropped (connection pools, JIT). */
async function probeLoop(items, warmup, measure) {
  const samples = [];
  const errors = {};
  for (const [index, item] of items.entries()) {
    try {
      const sample = await measure(item);
      if (index >= warmup) samples.push(sample);
    } catch (error) {
      errors[error.message] = (errors[error.message] ?? 0) + 1;
    }
  }
  return { samples, errors };
}

process.on('message', async ({ id, cmd, args }) => {
  try {
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unknown command ${cmd}`);
    process.send({ id, ok: true, result: await handler(args ?? {}) });
  } catch (error) {
    process.send({ id, ok: false, error: error.stack ?? String(error) });
  }
});

// The benchmark owns this process: when it goes away (even by kill -9), the IPC channel closes and so do we.
process.on('disconnect', () => process.exit(0));
