import { chmod, cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { ensureDevCertificate } from '../../scripts/lib/tls.mjs';
import { expectError } from '../support/assertions';
import { TEST_AUTH_ENV } from '../support/auth-app';
import { startCluster, TEST_ORIGIN, type Cluster, type GatewayNode } from '../support/cluster';
import { freePort } from '../support/free-port';
import { bearer, connectionsOf as connectionsOfUser, login, registerUser, request, type LoggedIn } from '../support/http';
import { edgeOrigin, startNginx, type Nginx } from '../support/nginx';
import { closeAllSockets, connectSocket, disconnected, nextEvent, type ClientSocket } from '../support/sockets';

const ROOT = join(__dirname, '..', '..');
const NODES = ['gw-1', 'gw-2', 'gw-3'];

/** How many of `nodeIds` are on each node, every node listed (0 included), for assertions and the test output. */
function perNode(nodeIds: readonly string[]): Record<string, number> {
  return Object.fromEntries(NODES.map((node) => [node, nodeIds.filter((id) => id === node).length]));
}

async function whoamiNode(socket: ClientSocket): Promise<string> {
  const reply = await socket.emitWithAck('whoami');
  if (!reply.ok) throw new Error(`whoami failed: ${reply.error.code}`);
  return reply.nodeId;
}

describe('3 gateways behind nginx (the nginx.conf.template the launcher and compose use)', () => {
  let cluster: Cluster;
  let nginx: Nginx;
  let admin: LoggedIn;
  let counter = 0;

  beforeAll(async () => {
    const port = await freePort();
    // A short drain window keeps the SIGTERM test quick; the drain still closes connections in batches.
    cluster = await startCluster({ gateways: 3, allowedOrigins: [edgeOrigin(port)], gatewayEnv: { DRAIN_WINDOW: '1' } });
    nginx = await startNginx(cluster, { port });
    admin = await login(nginx.url, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
  }, 90_000);

  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await nginx?.stop();
    await cluster?.cleanup();
  }, 60_000);

  /** A new user registered and logged in through nginx. */
  async function newUser(prefix: string): Promise<LoggedIn> {
    const username = `${prefix}-${++counter}`;
    await registerUser(nginx.url, username);
    return login(nginx.url, username);
  }

  /** `count` WebSocket-first sockets of `user` through nginx, opened at once. */
  const socketsOf = (user: LoggedIn, count: number) => Promise.all(Array.from({ length: count }, () => connectSocket(nginx.url, { token: user.accessToken })));

  const connectionsOf = (userId: string) => connectionsOfUser(nginx.url, admin, userId);

  it('serves the demo page and the client SDK bundle through the one public port', async () => {
    const page = await fetch(`${nginx.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="demo.js"></script>');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const style = await fetch(`${nginx.url}/demo.css`);
    expect({ status: style.status, type: style.headers.get('content-type'), csp: style.headers.get('content-security-policy') }).toEqual({
      status: 200,
      type: 'text/css',
      csp: expect.stringContaining("frame-ancestors 'none'"),
    });
    const client = await fetch(`${nginx.url}/vendor/sessionwire-client.js`);
    expect({ status: client.status, type: client.headers.get('content-type') }).toEqual({ status: 200, type: 'text/javascript' });
    // An ES module that exports the SDK's entry points, with its source map next to it.
    expect(await client.text()).toMatch(/export\{[^}]*\bconnect\b/);
    expect((await fetch(`${nginx.url}/vendor/sessionwire-client.js.map`)).status).toBe(200);
    expect((await fetch(`${nginx.url}/.well-known/jwks.json`)).status).toBe(200);
  }, 30_000);

  it('serves the auth service\'s OpenAPI document', async () => {
    const response = await request<{ openapi: string; paths: Record<string, unknown> }>(nginx.url, 'GET', '/openapi.json');
    expect({ status: response.status, openapi: response.body.openapi }).toEqual({ status: 200, openapi: '3.1.0' });
    expect(Object.keys(response.body.paths)).toContain('/oidc/backchannel-logout');
  });

  it('serves a checkout that lives in a private (0700) directory, like root’s home or `mktemp -d`, also when started as root', async () => {
    const checkout = await mkdtemp(join(tmpdir(), 'sessionwire-checkout-'));
    await chmod(checkout, 0o700);
    try {
      await cp(join(ROOT, 'nginx/demo'), join(checkout, 'nginx/demo'), { recursive: true });
      await cp(join(ROOT, 'dist/client'), join(checkout, 'dist/client'), { recursive: true });
      expect((await stat(checkout)).mode & 0o777).toBe(0o700);
      // Like `npm start`: the prefix (config, logs, temp files) inside the checkout, next to the served files.
      const edge = await startNginx(cluster, { parentDir: checkout, demoRoot: join(checkout, 'nginx/demo'), vendorRoot: join(checkout, 'dist/client') });
      try {
        expect((await fetch(`${edge.url}/`)).status).toBe(200);
        expect((await fetch(`${edge.url}/vendor/sessionwire-client.js`)).status).toBe(200);
        // A body over nginx's in-memory buffer is written to a temp file in the prefix, then passed on: the
        // answer is auth's own (over its 16 KB limit), not nginx failing to write the file.
        const oversized = await request(edge.url, 'POST', '/auth/login', { json: { username: 'x'.repeat(20_000), password: 'whatever1' } });
        expect(expectError(oversized, 413, 'PAYLOAD_TOO_LARGE').message).toBe('Request body too large');
      } finally {
        await edge.stop();
      }
    } finally {
      await rm(checkout, { recursive: true, force: true });
    }
  }, 30_000);

  it('30 WebSocket-first sockets from one host land on all 3 gateways (least_conn)', async () => {
    const alice = await newUser('spread');
    const sockets = await socketsOf(alice, 30);

    const nodes = await Promise.all(sockets.map(whoamiNode));
    const counts = perNode(nodes);
    console.log(`30 sockets through nginx, per gateway: ${JSON.stringify(counts)}`);
    for (const node of NODES) expect(counts[node]).toBeGreaterThanOrEqual(5);
    // The shared registry agrees with what the sockets were told.
    expect(perNode((await connectionsOf(alice.user.id)).map((connection) => connection.nodeId))).toEqual(counts);
  }, 30_000);

  it('a polling-first client (default transports) connects and upgrades; a polling-only one keeps its replica (sticky)', async () => {
    const bob = await newUser('polling');
    const options = { forceNew: true, reconnection: false, auth: { token: bob.accessToken }, extraHeaders: { origin: TEST_ORIGIN } };

    const upgrading: ClientSocket = io(nginx.url, options);
    const upgraded = new Promise<string>((resolve) => upgrading.io.engine.once('upgrade', (transport: { name: string }) => resolve(transport.name)));
    await new Promise<void>((resolve, reject) => {
      upgrading.once('connect', resolve);
      upgrading.once('connect_error', reject);
    });
    expect(await upgraded).toBe('websocket');
    expect(await whoamiNode(upgrading)).toMatch(/^gw-[123]$/);
    upgrading.close();

    // Every emit is a POST and every answer a long-poll GET: each must reach the replica that holds the session,
    // or the gateway answers 400 "Session ID unknown" and the socket drops.
    const polling = await connectSocket(nginx.url, { token: bob.accessToken, transport: 'polling' });
    const answers = [];
    for (let round = 0; round < 5; round++) answers.push(await whoamiNode(polling));
    expect(new Set(answers).size).toBe(1);
    expect(polling.connected).toBe(true);
  }, 30_000);

  it('logout-all through nginx reaches the user’s sockets on all 3 gateways, and nobody else’s', async () => {
    const carol = await newUser('forced');
    const dave = await newUser('bystander');
    const carolSockets = await socketsOf(carol, 12);
    const daveSockets = await socketsOf(dave, 6);
    expect(new Set(await Promise.all(carolSockets.map(whoamiNode)))).toEqual(new Set(NODES));
    const ended = carolSockets.map((socket) => nextEvent(socket, 'session:ended'));
    const gone = carolSockets.map((socket) => disconnected(socket));

    const started = Date.now();
    const response = await request(nginx.url, 'POST', '/auth/logout-all', { headers: bearer(carol.accessToken) });
    expect(response.status).toBe(204);

    expect((await Promise.all(ended)).map((event) => event.reason)).toEqual(carolSockets.map(() => 'logout_all'));
    expect(await Promise.all(gone)).toEqual(carolSockets.map(() => 'io server disconnect'));
    console.log(`logout-all through nginx: 12 sockets on 3 gateways disconnected ${Date.now() - started} ms after the request`);
    expect(perNode(await Promise.all(daveSockets.map(whoamiNode)))).toEqual(perNode((await connectionsOf(dave.user.id)).map((c) => c.nodeId)));
    expect(await connectionsOf(carol.user.id)).toEqual([]);
  }, 30_000);

  it('with TLS (as `npm start -- --tls`): https and wss on the public port with the self-signed certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sessionwire-tls-'));
    const secure = await startNginx(cluster, { tls: await ensureDevCertificate(dir) });
    try {
      const frank = await newUser('tls');
      const status = await new Promise<number | undefined>((resolve, reject) =>
        httpsGet(`${secure.url}/health`, { ca: secure.ca }, (response) => resolve(response.resume().statusCode)).once('error', reject),
      );
      expect(status).toBe(200);

      const open = (trust: boolean) =>
        new Promise<ClientSocket>((resolve, reject) => {
          const socket: ClientSocket = io(secure.url, {
            forceNew: true,
            reconnection: false,
            transports: ['websocket'],
            ...(trust && { ca: secure.ca }),
            auth: { token: frank.accessToken },
            extraHeaders: { origin: TEST_ORIGIN },
          });
          socket.once('connect', () => resolve(socket));
          socket.once('connect_error', (error) => {
            socket.close();
            reject(error);
          });
        });
      const socket = await open(true);
      try {
        expect(await whoamiNode(socket)).toMatch(/^gw-[123]$/);
      } finally {
        socket.close();
      }
      // Without trusting the certificate, the wss handshake fails (a real TLS check, not a plain port).
      await expect(open(false)).rejects.toThrow();
    } finally {
      await secure.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  /**
   * Found by the soak: with nginx's default passive health checks (one failure takes a server out for 10 s), gateways
   * failing one after another, each back within seconds, left nginx with every gateway "down" while they all served
   * again: "no live upstreams", 502 to every handshake for seconds at a time.
   */
  it('gateways failing one after another, each back at once, never leave nginx without a gateway to try', async () => {
    const user = await newUser('rolling');
    const gateway = (nodeId: string) => cluster.gateways.find((candidate) => candidate.nodeId === nodeId)!;
    const replace = (node: GatewayNode) => cluster.gateways.splice(cluster.gateways.findIndex((candidate) => candidate.nodeId === node.nodeId), 1, node);
    await gateway('gw-1').process.stop('SIGKILL');
    // Handshakes spread over all three: the one sent to gw-1 is refused there, and nginx tries another.
    for (const socket of await socketsOf(user, 3)) expect(await whoamiNode(socket)).not.toBe('gw-1');
    replace(await cluster.startGateway('gw-1'));
    await gateway('gw-2').process.stop('SIGKILL');
    await gateway('gw-3').process.stop('SIGKILL');
    // gw-1 serves again, seconds after nginx saw it fail: it must get the handshake.
    const [socket] = await socketsOf(user, 1);
    expect(await whoamiNode(socket)).toBe('gw-1');
    replace(await cluster.startGateway('gw-2'));
    replace(await cluster.startGateway('gw-3'));
  }, 60_000);

  /**
   * Long-polling is pinned to a replica by nginx's hash of the client address. While that replica is down, a new
   * client's session is made on the next one; once it is back, the hash sends that session's polls to it first. It
   * must pass them on (found by the soak: it answered 400 "Session ID unknown" and the client lost its connection).
   */
  it('a long-polling client keeps its connection when the replica its address hashes to comes back', async () => {
    const user = await newUser('polling');
    const probe = await connectSocket(nginx.url, { token: user.accessToken, transport: 'polling' });
    const hashed = await whoamiNode(probe);
    probe.close();
    const replica = cluster.gateways.find((candidate) => candidate.nodeId === hashed)!;
    await replica.process.stop('SIGKILL');
    const socket = await connectSocket(nginx.url, { token: user.accessToken, transport: 'polling' });
    const holder = await whoamiNode(socket);
    expect(holder).not.toBe(hashed);

    cluster.gateways.splice(cluster.gateways.indexOf(replica), 1, await cluster.startGateway(hashed));
    // Several long-poll round trips, each first sent to the replica that is back.
    for (let round = 0; round < 5; round++) expect(await whoamiNode(socket)).toBe(holder);
    expect(socket.connected).toBe(true);
  }, 60_000);

  // Last: it leaves the cluster with 2 gateways.
  it('a gateway stopped behind nginx (SIGTERM): its clients reconnect through nginx to the others, new ones avoid it', async () => {
    const erin = await newUser('failover');
    let authCalls = 0;
    // Reconnecting clients; the auth callback runs on every attempt, so each one presents the current token.
    const sockets: ClientSocket[] = Array.from({ length: 9 }, () =>
      io(nginx.url, {
        forceNew: true,
        transports: ['websocket'],
        reconnectionDelay: 100,
        reconnectionDelayMax: 1000,
        auth: (send) => {
          authCalls++;
          send({ token: erin.accessToken });
        },
        extraHeaders: { origin: TEST_ORIGIN },
      }),
    );
    try {
      await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.once('connect', () => resolve()))));
      const before = await Promise.all(sockets.map(whoamiNode));
      // Stop the gateway holding most of them (least_conn spreads 9 sockets over all 3).
      const counts = perNode(before);
      const victimId = NODES.reduce((most, node) => (counts[node] > counts[most] ? node : most));
      const victim = cluster.gateways.find((gateway) => gateway.nodeId === victimId);
      if (!victim) throw new Error(`no gateway ${victimId}`);
      const moving = sockets.filter((_, index) => before[index] === victimId);
      const reasons = moving.map((socket) => disconnected(socket, 15_000));
      const back = moving.map((socket) => new Promise<void>((resolve) => socket.once('connect', () => resolve())));
      const callsBefore = authCalls;

      const started = Date.now();
      await victim.process.stop('SIGTERM');
      // Closed at the transport level, not `io server disconnect`: the client reconnects by itself.
      expect(await Promise.all(reasons)).toEqual(moving.map(() => 'transport close'));
      await Promise.all(back);
      console.log(`SIGTERM to ${victimId}: its ${moving.length} sockets were back through nginx ${Date.now() - started} ms later`);

      expect(authCalls - callsBefore).toBeGreaterThanOrEqual(moving.length);
      const after = await Promise.all(sockets.map(whoamiNode));
      expect(after.filter((node) => node === victimId)).toEqual([]);
      expect(sockets.every((socket) => socket.connected)).toBe(true);
      // New connections: nginx finds the dead replica refusing and tries the live ones.
      const fresh = await socketsOf(erin, 6);
      const freshNodes = await Promise.all(fresh.map(whoamiNode));
      expect(freshNodes.filter((node) => node === victimId)).toEqual([]);
      expect(new Set(freshNodes).size).toBe(2);
      expect((await connectionsOf(erin.user.id)).filter((connection) => connection.nodeId === victimId)).toEqual([]);
    } finally {
      for (const socket of sockets) socket.close();
    }
  }, 30_000);
});
