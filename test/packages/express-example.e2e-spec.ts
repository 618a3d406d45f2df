import { redisKeys } from '@app/contracts';
import { Redis } from 'ioredis';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { AppProcess } from '../support/app-process';
import { startCluster, TEST_ORIGIN, type Cluster } from '../support/cluster';
import { freePort } from '../support/free-port';
import { bearer, login, registerUser, request } from '../support/http';
import { installPackedPackages, typeCheck, type PackedProject } from '../support/packed-project';
import { closeAllSockets, connectError, connectSocket, disconnected, nextEvent, type ClientSocket } from '../support/sockets';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE_DIR = join(ROOT, 'examples/express-socketio');
const FOREIGN_ORIGIN = 'http://evil.test';

/** The example chat's own events (not the gateway's). */
interface ChatServerEvents {
  'chat:message': (message: { from: string; text: string; node: string; at: number }) => void;
  'session:ended': (payload: { reason: string; sessionId: string }) => void;
}
interface ChatClientEvents {
  'chat:send': (payload: { text: string }, ack: (reply: { ok: boolean }) => void) => void;
}
type ChatSocket = Socket<ChatServerEvents, ChatClientEvents>;

const chat = (socket: ClientSocket) => socket as unknown as ChatSocket;

// The example's wiring in TypeScript, against the tarball's declarations: the app's own event maps on a typed
// server, socket.data typed as what the handshake proved. The last line must not compile.
const TYPED_CONSUMER = `
import { createSessionwire, type SessionwireSocketData } from '@sessionwire/server';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

interface ChatClientEvents {
  'chat:send': (payload: { text: string }, ack: (reply: { ok: boolean }) => void) => void;
}
interface ChatServerEvents {
  'chat:message': (message: { from: string; text: string }) => void;
}

const wire = await createSessionwire({
  redis: 'redis://127.0.0.1:6379',
  allowedOrigins: ['https://app.example.com'],
  accessTokens: { jwksUrl: 'http://auth:3000/.well-known/jwks.json', issuer: 'sessionwire-auth', audience: 'sessionwire' },
  connectionLimit: { perUser: 5, policy: 'evict_oldest' },
});
const io = wire.attach(new Server<ChatClientEvents, ChatServerEvents, Record<string, never>, SessionwireSocketData>(createServer()));
io.on('connection', (socket) => {
  const userId: string = socket.data.userId;
  const expiresAt: number = socket.data.credentialExpiresAt;
  socket.on('chat:send', ({ text }, ack) => {
    io.emit('chat:message', { from: userId, text });
    ack({ ok: expiresAt > 0 });
  });
});
export const sockets: number = wire.localSockets().count();
export const wrong: number = wire.localSockets().all()[0].data.userId;
`;

const TSCONFIG = {
  compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], types: [], strict: true, noEmit: true, skipLibCheck: false },
  files: ['consumer.ts'],
};

function nextChatMessage(socket: ChatSocket): Promise<Parameters<ChatServerEvents['chat:message']>[0]> {
  return new Promise((resolve) => socket.once('chat:message', resolve));
}

describe('examples/express-socketio: a plain Express + Socket.IO chat on @sessionwire/server, installed from the tarball', () => {
  let cluster: Cluster;
  let project: PackedProject;
  const nodes: Array<{ nodeId: string; url: string; process: AppProcess }> = [];

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 0 });
    project = await installPackedPackages([join(ROOT, 'libs/server')], ['express', 'socket.io', 'ioredis', '@socket.io/redis-adapter']);
    await copyFile(join(EXAMPLE_DIR, 'server.mjs'), join(project.dir, 'server.mjs'));
    for (const nodeId of ['chat-1', 'chat-2']) {
      const port = await freePort();
      const env = {
        PORT: String(port),
        NODE_ID: nodeId,
        REDIS_URL: cluster.redis.url,
        JWKS_URL: `${cluster.authUrl}/.well-known/jwks.json`,
        ALLOWED_ORIGINS: TEST_ORIGIN,
        MAX_SOCKETS_PER_USER: '2',
      };
      nodes.push({ nodeId, url: `http://127.0.0.1:${port}`, process: await AppProcess.launch(nodeId, join(project.dir, 'server.mjs'), env, { cwd: project.dir }) });
    }
    // npm install of the tarball and the example's dependencies, then two processes: slow on a loaded machine.
  }, 180_000);

  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await Promise.all(nodes.map((node) => node.process.stop('SIGKILL')));
    await cluster?.cleanup();
    await project?.cleanup();
  });

  it("carries the app's own events across both processes; a logout at the auth service drops the user's sockets on both, and reconnects are refused", async () => {
    const { id: userId, username } = await registerUser(cluster.authUrl, 'express-chat-user');
    const session = await login(cluster.authUrl, username);
    const [first, second] = [
      chat(await connectSocket(nodes[0].url, { token: session.accessToken })),
      chat(await connectSocket(nodes[1].url, { token: session.accessToken })),
    ];

    // The chat's room and events, through the Redis adapter: sent on chat-2, received on chat-1 (and chat-2), the
    // sender named by the identity the handshake proved.
    const received = [nextChatMessage(first), nextChatMessage(second)];
    expect(await second.timeout(10_000).emitWithAck('chat:send', { text: 'hello from chat-2' })).toEqual({ ok: true });
    expect(await Promise.all(received)).toEqual([
      expect.objectContaining({ from: userId, text: 'hello from chat-2', node: 'chat-2' }),
      expect.objectContaining({ from: userId, text: 'hello from chat-2', node: 'chat-2' }),
    ]);

    const ended = [first, second].map((socket) => nextEvent(socket as unknown as ClientSocket, 'session:ended'));
    const gone = [first, second].map((socket) => disconnected(socket as unknown as ClientSocket, 15_000));
    const logout = await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(session.accessToken) });
    expect(logout.status).toBe(204);

    expect(await Promise.all(ended)).toEqual([
      { reason: 'logout', sessionId: session.sessionId },
      { reason: 'logout', sessionId: session.sessionId },
    ]);
    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);
    for (const node of nodes) {
      const refused = await connectError(node.url, { token: session.accessToken });
      expect({ message: refused.message, code: refused.data?.code }).toEqual({ message: 'SESSION_REVOKED', code: 'SESSION_REVOKED' });
    }
  });

  it('refuses a handshake from a foreign Origin with ORIGIN_NOT_ALLOWED before any upgrade; the allowed Origin connects', async () => {
    const { username } = await registerUser(cluster.authUrl, 'express-origin-user');
    const session = await login(cluster.authUrl, username);
    const refused = await fetch(`${nodes[0].url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: FOREIGN_ORIGIN, ...bearer(session.accessToken) } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ message: 'ORIGIN_NOT_ALLOWED' });
    expect((await connectError(nodes[1].url, { token: session.accessToken, origin: FOREIGN_ORIGIN })).message).toBe('websocket error');

    const allowed = await connectSocket(nodes[1].url, { token: session.accessToken, origin: TEST_ORIGIN });
    expect(allowed.connected).toBe(true);
  });

  it('answers auth:refresh in-band: a fresh token of the same session is taken, another user\'s token or garbage refused', async () => {
    const alice = await registerUser(cluster.authUrl, 'express-refresh-alice');
    const bob = await registerUser(cluster.authUrl, 'express-refresh-bob');
    const [aliceSession, bobSession] = [await login(cluster.authUrl, alice.username), await login(cluster.authUrl, bob.username)];
    const socket = await connectSocket(nodes[0].url, { token: aliceSession.accessToken });
    const refreshed = await request<{ accessToken: string }>(cluster.authUrl, 'POST', '/auth/refresh', { json: { refreshToken: aliceSession.refreshToken } });
    expect(refreshed.status).toBe(200);

    expect(await socket.timeout(10_000).emitWithAck('auth:refresh', { token: refreshed.body.accessToken })).toEqual({ ok: true, exp: expect.any(Number) });
    const refusals = await Promise.all([
      socket.timeout(10_000).emitWithAck('auth:refresh', { token: bobSession.accessToken }),
      socket.timeout(10_000).emitWithAck('auth:refresh', { token: 'garbage' }),
      socket.timeout(10_000).emitWithAck('auth:refresh', { nottoken: 1 } as unknown as { token: string }),
    ]);
    expect(refusals.map((reply) => (reply.ok ? 'ok' : reply.error.code))).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'INVALID_INPUT']);
    expect(socket.connected).toBe(true);
  });

  it('evicts the oldest socket over the per-user limit on the other process, through the adapter', async () => {
    const { username } = await registerUser(cluster.authUrl, 'express-evicted-user');
    const session = await login(cluster.authUrl, username);
    const oldest = await connectSocket(nodes[0].url, { token: session.accessToken });
    const kept = await connectSocket(nodes[1].url, { token: session.accessToken });
    const ended = nextEvent(oldest, 'session:ended', 10_000);
    const gone = disconnected(oldest, 10_000);

    const newest = await connectSocket(nodes[1].url, { token: session.accessToken });

    expect(await ended).toEqual({ reason: 'evicted', sessionId: session.sessionId });
    expect(await gone).toBe('io server disconnect');
    expect([kept.connected, newest.connected]).toEqual([true, true]);
  });

  it("type-checks a TypeScript consumer against the tarball's declarations, without prom-client installed", async () => {
    await writeFile(join(project.dir, 'consumer.ts'), TYPED_CONSUMER);
    await writeFile(join(project.dir, 'tsconfig.consumer.json'), JSON.stringify(TSCONFIG));
    const result = await typeCheck(join(project.dir, 'tsconfig.consumer.json'));
    const wrongLine = TYPED_CONSUMER.split('\n').findIndex((line) => line.startsWith('export const wrong')) + 1;
    expect(result.output.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^consumer\\.ts\\(${wrongLine},\\d+\\): error TS2322: Type 'string' is not assignable to type 'number'`))]);
  }, 60_000);

  it('refuses a socket without credentials with UNAUTHORIZED', async () => {
    const refused = await connectError(nodes[0].url, {});
    expect({ message: refused.message, code: refused.data?.code }).toEqual({ message: 'UNAUTHORIZED', code: 'UNAUTHORIZED' });
  });

  // Last: it stops chat-2.
  it('drains on SIGTERM: server:draining, the socket closed at the transport (so the client reconnects elsewhere), a clean exit', async () => {
    const { username } = await registerUser(cluster.authUrl, 'express-drained-user');
    const session = await login(cluster.authUrl, username);
    const socket = await connectSocket(nodes[1].url, { token: session.accessToken });
    const draining = nextEvent(socket, 'server:draining', 15_000);
    const gone = disconnected(socket, 15_000);

    const exitCode = nodes[1].process.stop('SIGTERM');

    expect(await draining).toEqual({ reconnect: true });
    expect(await gone).toBe('transport close');
    expect(await exitCode).toBe(0);
    // The drained node left the shared registry; the other is still in it.
    const redis = new Redis(cluster.redis.url);
    try {
      expect((await redis.smembers(redisKeys.registryNodes)).sort()).toEqual(['chat-1']);
    } finally {
      await redis.quit();
    }
  });
});
