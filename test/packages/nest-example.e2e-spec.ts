import { readFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { AppProcess } from '../support/app-process';
import { startCluster, TEST_ORIGIN, type Cluster } from '../support/cluster';
import { freePort } from '../support/free-port';
import { bearer, login, registerUser, request } from '../support/http';
import { installPackedPackages, typeCheck, type PackedProject } from '../support/packed-project';
import { closeAllSockets, connectError, connectSocket, disconnected, nextEvent, type ClientSocket } from '../support/sockets';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples/nest-gateway');

interface Note {
  text: string;
  sessionId: string;
  at: number;
}

/** The example's own events, on a real socket.io-client socket. */
type NotesReply = { ok: true; note: Note } | { ok: false; error: string };
type NotesSocket = Socket<{ 'notes:added': (note: Note) => void }, { 'notes:add': (payload: { text: string }, ack: (reply: NotesReply) => void) => void }>;

const notes = (socket: ClientSocket) => socket as unknown as NotesSocket;

function nextNote(socket: ClientSocket, timeoutMs = 10_000): Promise<Note> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no notes:added on ${socket.id} within ${timeoutMs} ms`)), timeoutMs);
    notes(socket).once('notes:added', (note) => {
      clearTimeout(timer);
      resolve(note);
    });
  });
}

describe('examples/nest-gateway: its own Nest gateway on the packed @sessionwire/server and @sessionwire/nest, two processes', () => {
  let cluster: Cluster;
  let project: PackedProject;
  const nodes: Array<{ url: string; process: AppProcess }> = [];
  let counter = 0;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 0 });
    // The example's dependencies at the versions this repository runs, the packages from their tarballs, and the
    // example's sources built there by tsc: nothing of the repository is reachable from it.
    const manifest = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const dependencies = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) => !name.startsWith('@sessionwire/') && name !== 'typescript');
    project = await installPackedPackages([join(ROOT, 'libs/server'), join(ROOT, 'libs/nest')], dependencies);
    await cp(join(EXAMPLE, 'src'), join(project.dir, 'src'), { recursive: true });
    await cp(join(EXAMPLE, 'tsconfig.json'), join(project.dir, 'tsconfig.json'));
    const build = await typeCheck(join(project.dir, 'tsconfig.json'));
    if (build.code !== 0) throw new Error(`the example does not build against the packed packages:\n${build.output}`);
    for (const nodeId of ['notes-1', 'notes-2']) {
      const port = await freePort();
      const env = { REDIS_URL: cluster.redis.url, AUTH_JWKS_URL: `${cluster.authUrl}/.well-known/jwks.json`, ALLOWED_ORIGINS: TEST_ORIGIN, NODE_ID: nodeId, PORT: String(port) };
      nodes.push({ url: `http://127.0.0.1:${port}`, process: await AppProcess.launch(nodeId, join(project.dir, 'dist/main.js'), env, { cwd: project.dir }) });
    }
  });

  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await Promise.all(nodes.map((node) => node.process.stop('SIGKILL')));
    await cluster?.cleanup();
    await project?.cleanup();
  });

  async function newUser() {
    const username = `nest-example-${++counter}`;
    const { id } = await registerUser(cluster.authUrl, username);
    return { id, session: await login(cluster.authUrl, username) };
  }

  it('both processes are ready (the handle injected into the app\'s own controller) and refuse a socket without credentials', async () => {
    for (const node of nodes) {
      expect(await request(node.url, 'GET', '/health/ready')).toMatchObject({ status: 200 });
      expect((await connectError(node.url)).data?.code).toBe('UNAUTHORIZED');
    }
  });

  it("a note added on one process reaches the user's sockets on both (and nobody else's); a logout over HTTP ends both with session:ended, and reconnects are refused SESSION_REVOKED", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const sockets = await Promise.all(nodes.map((node) => connectSocket(node.url, { token: alice.session.accessToken })));
    const bobSocket = await connectSocket(nodes[1].url, { token: bob.session.accessToken });

    const received = sockets.map((socket) => nextNote(socket));
    const bobReceived = nextNote(bobSocket);
    expect(await notes(sockets[0]).emitWithAck('notes:add', { text: 'buy milk' })).toEqual({ ok: true, note: { text: 'buy milk', sessionId: alice.session.sessionId, at: expect.any(Number) } });
    expect(await Promise.all(received)).toEqual(sockets.map(() => expect.objectContaining({ text: 'buy milk', sessionId: alice.session.sessionId })));
    // Bob's first note is his own: alice's never reached him.
    expect(await notes(bobSocket).emitWithAck('notes:add', { text: 'call bob' })).toMatchObject({ ok: true });
    expect(await bobReceived).toMatchObject({ text: 'call bob', sessionId: bob.session.sessionId });
    expect(await notes(sockets[1]).emitWithAck('notes:add', { text: '' })).toEqual({ ok: false, error: expect.any(String) });

    const ended = sockets.map((socket) => nextEvent(socket, 'session:ended'));
    const gone = sockets.map((socket) => disconnected(socket, 15_000));
    expect((await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(alice.session.accessToken) })).status).toBe(204);

    expect(await Promise.all(ended)).toEqual(sockets.map(() => ({ reason: 'logout', sessionId: alice.session.sessionId })));
    expect(await Promise.all(gone)).toEqual(sockets.map(() => 'io server disconnect'));
    for (const node of nodes) expect((await connectError(node.url, { token: alice.session.accessToken })).data?.code).toBe('SESSION_REVOKED');
    expect((await notes(bobSocket).emitWithAck('notes:add', { text: 'still here' })).ok).toBe(true);
  });
});
