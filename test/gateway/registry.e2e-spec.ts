import type { ClusterView, ConnectionCounts, SessionView } from '@app/contracts';
import { startCluster, type Cluster, type GatewayNode } from '../support/cluster';
import { eventually } from '../support/eventually';
import { bearer, connectionsOf as connectionsOfUser, login, registerUser, request, type LoggedIn } from '../support/http';
import { MetricsScrape } from '../support/metrics';
import { closeAllSockets, connectSocket, disconnected, type ClientSocket } from '../support/sockets';
import { clockPast, expiryOf } from '../support/tokens';

/** A node restarted in the no-resurrection test: a long heartbeat TTL, so no sweep can clear its entries first. */
const LONG_TTL_ENV = { HEARTBEAT_TTL: '60' };

describe('session registry across gateway processes: counts, kill -9 sweep, clean shutdown, restart', () => {
  let cluster: Cluster;
  let admin: LoggedIn;
  let counter = 0;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 3, gatewayEnv: { HEARTBEAT_INTERVAL: '1', HEARTBEAT_TTL: '2', SWEEP_INTERVAL: '1' } });
    admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
  }, 60_000);

  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  const [gw1, gw2, gw3] = [0, 1, 2].map((index) => () => cluster.gateways[index]);

  async function newUser(): Promise<LoggedIn> {
    const username = `reg-user-${++counter}`;
    await registerUser(cluster.authUrl, username);
    return login(cluster.authUrl, username);
  }

  const socketsOn = (session: LoggedIn, nodes: GatewayNode[]) => Promise.all(nodes.map((node) => connectSocket(node.url, { token: session.accessToken })));

  const connectionsOf = (userId: string) => connectionsOfUser(cluster.authUrl, admin, userId);

  const counts = async () => (await request<ConnectionCounts>(cluster.authUrl, 'GET', '/admin/connections/count', { headers: bearer(admin.accessToken) })).body;

  /** The registry's view of the user: which socket on which node, sorted for comparison. */
  const registered = async (userId: string) =>
    (await connectionsOf(userId)).map(({ nodeId, socketId }) => `${nodeId}/${socketId}`).sort();
  const expected = (entries: Array<[GatewayNode, ClientSocket]>) => entries.map(([node, socket]) => `${node.nodeId}/${socket.id}`).sort();

  it('counts per node match the sockets opened, and fall back to zero as they close', async () => {
    const alice = await newUser();
    const opened = await socketsOn(alice, [gw1(), gw1(), gw2(), gw3(), gw3(), gw3()]);

    expect(await counts()).toEqual({
      total: 6,
      nodes: [
        { nodeId: 'gw-1', connections: 2, alive: true },
        { nodeId: 'gw-2', connections: 1, alive: true },
        { nodeId: 'gw-3', connections: 3, alive: true },
      ],
    });
    const entries = await connectionsOf(alice.user.id);
    expect(entries.map((entry) => entry.socketId).sort()).toEqual(opened.map((socket) => socket.id).sort());
    for (const entry of entries) {
      expect(entry).toEqual({
        nodeId: expect.stringMatching(/^gw-[123]$/),
        socketId: expect.any(String),
        sessionId: alice.sessionId,
        connectedAt: expect.any(String),
        transport: 'websocket',
        credentialExpiresAt: new Date(expiryOf(alice.accessToken)).toISOString(),
      });
      expect(Date.parse(entry.connectedAt)).not.toBeNaN();
    }

    closeAllSockets();
    await eventually(async () => expect((await counts()).total).toBe(0));
    expect(await connectionsOf(alice.user.id)).toEqual([]);
  });

  it("each entry shows its socket's transport and credential expiry, kept current across an upgrade and auth:refresh", async () => {
    const alice = await newUser();
    const entryOf = async (socket: ClientSocket) => (await connectionsOf(alice.user.id)).find((entry) => entry.socketId === socket.id);
    const pollingOnly = await connectSocket(gw1().url, { token: alice.accessToken, transport: 'polling' });
    const upgrading = await connectSocket(gw2().url, { token: alice.accessToken, upgrade: true });
    const upgraded = upgrading.io.engine.transport.name === 'websocket' ? Promise.resolve() : new Promise((resolve) => upgrading.io.engine.once('upgrade', resolve));

    expect(await entryOf(pollingOnly)).toMatchObject({ transport: 'polling', credentialExpiresAt: new Date(expiryOf(alice.accessToken)).toISOString() });
    await upgraded;
    await eventually(async () => expect(await entryOf(upgrading)).toMatchObject({ transport: 'websocket' }));
    expect(await entryOf(pollingOnly)).toMatchObject({ transport: 'polling' });

    // Token times are in whole seconds: one issued a second later expires later.
    await clockPast(Date.now() + 1000);
    const fresh = await request<{ accessToken: string }>(cluster.authUrl, 'POST', '/auth/refresh', { json: { refreshToken: alice.refreshToken } });
    expect(expiryOf(fresh.body.accessToken)).toBeGreaterThan(expiryOf(alice.accessToken));
    expect(await upgrading.emitWithAck('auth:refresh', { token: fresh.body.accessToken })).toEqual({ ok: true, exp: expiryOf(fresh.body.accessToken) / 1000 });
    await eventually(async () =>
      expect(await entryOf(upgrading)).toMatchObject({ transport: 'websocket', credentialExpiresAt: new Date(expiryOf(fresh.body.accessToken)).toISOString() }),
    );
    expect(await entryOf(pollingOnly)).toMatchObject({ credentialExpiresAt: new Date(expiryOf(alice.accessToken)).toISOString() });

    // A cookie's expiry is its session's end.
    const byCookie = await connectSocket(gw3().url, { cookie: alice.cookie });
    const [session] = (await request<SessionView[]>(cluster.authUrl, 'GET', `/admin/users/${alice.user.id}/sessions`, { headers: bearer(admin.accessToken) })).body;
    await eventually(async () => expect(await entryOf(byCookie)).toMatchObject({ transport: 'websocket', credentialExpiresAt: session.expiresAt }));
  });

  it('GET /admin/nodes: every node with its report (subscriber ready, not draining); a revocation that closed sockets shows in the latency histogram', async () => {
    const nodes = async () => (await request<ClusterView>(cluster.authUrl, 'GET', '/admin/nodes', { headers: bearer(admin.accessToken) })).body;
    const before = await eventually(async () => {
      const view = await nodes();
      expect(view.nodes).toEqual(
        ['gw-1', 'gw-2', 'gw-3'].map((nodeId) => ({ nodeId, alive: true, connections: 0, subscriber: 'ready', draining: false, reportedAt: expect.any(String) })),
      );
      return view;
    });
    const bob = await newUser();
    const sockets = await socketsOn(bob, [gw1(), gw2()]);

    const closed = sockets.map((socket) => disconnected(socket));
    const revoke = await request(cluster.authUrl, 'POST', `/admin/users/${bob.user.id}/revoke`, { headers: bearer(admin.accessToken) });
    expect(revoke.status).toBe(200);
    await Promise.all(closed);

    // One observation per node that closed the user's sockets, published with the node's next heartbeat.
    const after = await eventually(async () => {
      const view = await nodes();
      expect(view.logoutPropagation.count).toBe(before.logoutPropagation.count + 2);
      return view;
    }, 10_000);
    expect(after.logoutPropagation.buckets.length).toBeGreaterThan(0);
    expect(after.logoutPropagation.buckets.at(-1)?.count).toBeLessThanOrEqual(after.logoutPropagation.count);
    expect(after.logoutPropagation.sum).toBeGreaterThan(before.logoutPropagation.sum);
  });

  it('a node frozen past its heartbeat TTL is swept, and registers its live sockets again as soon as it resumes', async () => {
    const alice = await newUser();
    const onGw1 = await socketsOn(alice, [gw1(), gw1()]);
    const swept = Promise.any([gw2(), gw3()].map((node) => node.process.waitForLog(/Swept registry entries of dead nodes: gw-1\b/, 10_000)));

    // A stalled VM or a long pause: the node misses its heartbeats while its clients stay connected.
    gw1().process.signal('SIGSTOP');
    try {
      await swept;
      expect(await registered(alice.user.id)).toEqual([]);
    } finally {
      gw1().process.signal('SIGCONT');
    }

    // Within a few heartbeats, not at the next periodic re-check (30 s away): the registry must not deny live sockets.
    await eventually(async () => {
      expect(await registered(alice.user.id)).toEqual(expected(onGw1.map((socket): [GatewayNode, ClientSocket] => [gw1(), socket])));
      expect((await counts()).nodes).toContainEqual({ nodeId: 'gw-1', connections: 2, alive: true });
    }, 5000);
    for (const socket of onGw1) expect(await socket.emitWithAck('whoami')).toMatchObject({ ok: true, nodeId: 'gw-1' });
  }, 20_000);

  it('kill -9 of a gateway: the sweep removes its entries and the node; survivors keep their sockets and entries', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const [aliceOnGw1, aliceOnGw2, aliceOnGw3] = await socketsOn(alice, [gw1(), gw2(), gw3()]);
    await socketsOn(bob, [gw3(), gw3()]);
    expect(await registered(bob.user.id)).toHaveLength(2);
    const swept = Promise.any([gw1(), gw2()].map((node) => node.process.waitForLog(/Swept registry entries of dead nodes: gw-3/, 10_000)));
    const cutOff = disconnected(aliceOnGw3);
    // The auth service's view of the registry, for the alert on a node that stopped heartbeating.
    const registryNodes = async () => {
      const scrape = await MetricsScrape.of(cluster.authUrl);
      return { alive: scrape.value('sessionwire_registry_nodes', { state: 'alive' }), stale: scrape.value('sessionwire_registry_nodes', { state: 'stale' }) };
    };
    expect(await registryNodes()).toEqual({ alive: 3, stale: 0 });

    await gw3().process.stop('SIGKILL');
    expect(await cutOff).toBe('transport close');

    await swept;
    expect(await registered(bob.user.id)).toEqual([]);
    expect(await registered(alice.user.id)).toEqual(
      expected([
        [gw1(), aliceOnGw1],
        [gw2(), aliceOnGw2],
      ]),
    );
    expect((await counts()).nodes.map((node) => node.nodeId)).toEqual(['gw-1', 'gw-2']);
    expect(await registryNodes()).toEqual({ alive: 2, stale: 0 });
    for (const socket of [aliceOnGw1, aliceOnGw2]) {
      expect(socket.connected).toBe(true);
      expect(await socket.emitWithAck('whoami')).toMatchObject({ ok: true, userId: alice.user.id });
    }
  }, 20_000);

  it('a node restarted under the same NODE_ID clears the entries of its previous run instead of resurrecting them', async () => {
    const alice = await newUser();
    const first = await cluster.startGateway('gw-4', LONG_TTL_ENV);
    const [onFirstRun] = await socketsOn(alice, [first, first]);
    const stale = await registered(alice.user.id);
    expect(stale).toHaveLength(2);
    const cutOff = disconnected(onFirstRun);

    await first.process.stop('SIGKILL');
    await cutOff;
    // Nothing sweeps a node whose heartbeat has 60 s left: its entries outlive the process.
    expect(await registered(alice.user.id)).toEqual(stale);
    expect((await counts()).nodes).toContainEqual({ nodeId: 'gw-4', connections: 2, alive: true });

    const second = await cluster.startGateway('gw-4', LONG_TTL_ENV);
    await second.process.waitForLog(/Removed 2 registry entries left by a previous run of gw-4/);
    expect(await registered(alice.user.id)).toEqual([]);
    expect((await counts()).nodes).toContainEqual({ nodeId: 'gw-4', connections: 0, alive: true });

    const [onSecondRun] = await socketsOn(alice, [second]);
    expect(await registered(alice.user.id)).toEqual(expected([[second, onSecondRun]]));
  }, 60_000);

  it('SIGTERM: the gateway closes its sockets (clients reconnect elsewhere) and removes its entries and itself before it exits', async () => {
    const alice = await newUser();
    const [onGw1, ...onGw2] = await socketsOn(alice, [gw1(), gw2(), gw2()]);
    const gone = onGw2.map((socket) => disconnected(socket));

    await gw2().process.stop('SIGTERM');

    // Checked right after the exit, with no waiting: the cleanup is the node's own, not the sweep's.
    expect(await registered(alice.user.id)).toEqual(expected([[gw1(), onGw1]]));
    expect((await counts()).nodes.map((node) => node.nodeId)).not.toContain('gw-2');
    // Closed at the transport level, not `io server disconnect`: the official client reconnects by itself.
    expect(await Promise.all(gone)).toEqual(['transport close', 'transport close']);
    expect(await onGw1.emitWithAck('whoami')).toMatchObject({ ok: true, nodeId: 'gw-1' });
  });
});
