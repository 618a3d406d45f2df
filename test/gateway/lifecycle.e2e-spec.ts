import type { ClusterView, RevokeResponse } from '@app/contracts';
import { startCluster, type Cluster } from '../support/cluster';
import { bearer, connectionsOf, login, registerUser, request, type LoggedIn } from '../support/http';
import { startClientProcess } from '../support/client-process';
import { MetricsScrape } from '../support/metrics';
import { closeAllSockets, connectError, connectSocket, disconnected, nextEvent, recordEvents, type ClientSocket } from '../support/sockets';
import { eventually } from '../support/eventually';
import { clockPast, expiryOf } from '../support/tokens';

let counter = 0;
const nextName = () => `life-${process.pid}-${++counter}`;

async function newUser(cluster: Cluster): Promise<{ id: string; username: string; session: LoggedIn }> {
  const username = nextName();
  const { id } = await registerUser(cluster.authUrl, username);
  return { id, username, session: await login(cluster.authUrl, username) };
}

describe('token lifetime while connected', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 2, env: { ACCESS_TOKEN_TTL: '4' }, gatewayEnv: { AUTH_EXPIRY_WARNING: '2' } });
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  it('warns with auth:expiring, then ends the socket with reason expired at the token exp', async () => {
    const { session } = await newUser(cluster);
    const socket = await connectSocket(cluster.gateways[0].url, { token: session.accessToken });
    const expiring = await nextEvent(socket, 'auth:expiring', 8000);
    expect(expiring).toEqual({ exp: expiryOf(session.accessToken) / 1000 });
    const gone = disconnected(socket, 8000);
    expect(await nextEvent(socket, 'session:ended', 8000)).toEqual({ reason: 'expired', sessionId: session.sessionId });
    expect(await gone).toBe('io server disconnect');
    expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(session.accessToken) - 50);
  });

  it('stays connected past the old exp after auth:refresh with a fresh token of the same session', async () => {
    const { session } = await newUser(cluster);
    const socket = await connectSocket(cluster.gateways[1].url, { token: session.accessToken });
    const { exp: oldExp } = await nextEvent(socket, 'auth:expiring', 8000);
    const refreshed = await request<{ accessToken: string }>(cluster.authUrl, 'POST', '/auth/refresh', { json: { refreshToken: session.refreshToken } });
    const ack = await socket.emitWithAck('auth:refresh', { token: refreshed.body.accessToken });
    expect(ack).toEqual({ ok: true, exp: expect.any(Number) });
    expect(ack.ok && ack.exp).toBeGreaterThanOrEqual(oldExp);

    await clockPast(oldExp * 1000 + 500);
    expect(socket.connected).toBe(true);
    expect((await socket.emitWithAck('whoami')).ok).toBe(true);
  });

  it('refuses a refresh with another user’s token, a revoked session’s token or garbage, and keeps the old expiry', async () => {
    const alice = await newUser(cluster);
    const bob = await newUser(cluster);
    const aliceOther = await login(cluster.authUrl, alice.username);
    await request(cluster.authUrl, 'DELETE', `/auth/sessions/${aliceOther.sessionId}`, { headers: bearer(alice.session.accessToken) });
    const socket = await connectSocket(cluster.gateways[0].url, { token: alice.session.accessToken });

    const refusals = await Promise.all([
      socket.emitWithAck('auth:refresh', { token: bob.session.accessToken }),
      socket.emitWithAck('auth:refresh', { token: aliceOther.accessToken }),
      socket.emitWithAck('auth:refresh', { token: 'garbage' }),
    ]);
    expect(refusals.map((reply) => (reply.ok ? 'ok' : reply.error.code))).toEqual(['UNAUTHORIZED', 'SESSION_REVOKED', 'UNAUTHORIZED']);

    // The refused refreshes changed nothing: the socket still ends at its original exp.
    expect(await nextEvent(socket, 'session:ended', 8000)).toEqual({ reason: 'expired', sessionId: alice.session.sessionId });
    expect(Date.now()).toBeGreaterThanOrEqual(expiryOf(alice.session.accessToken) - 50);
  });

  it('refuses a refresh with an expired token', async () => {
    const alice = await newUser(cluster);
    // A cookie socket lives as long as its session, so it outlasts the 4-second token offered to it.
    const cookieSocket = await connectSocket(cluster.gateways[0].url, { cookie: alice.session.cookie });
    await clockPast(expiryOf(alice.session.accessToken) + 100);
    const expired = await cookieSocket.timeout(5000).emitWithAck('auth:refresh', { token: alice.session.accessToken });
    expect(expired.ok ? 'ok' : expired.error.code).toBe('TOKEN_EXPIRED');
    expect(cookieSocket.connected).toBe(true);
  });
});

describe('confirmed revocation', () => {
  let cluster: Cluster;
  let admin: LoggedIn;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 3, env: { REVOKE_CONFIRM_DEADLINE_MS: '1500' } });
    admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    for (const gateway of cluster?.gateways ?? []) gateway.process.signal('SIGCONT');
    closeAllSockets();
    await cluster?.cleanup();
  });

  /** The auth service's confirmation outcomes: per revocation, and per awaited node. */
  async function confirmationOutcomes(): Promise<Record<string, number>> {
    const scrape = await MetricsScrape.of(cluster.authUrl);
    return {
      complete: scrape.value('sessionwire_auth_revocation_confirmations_total', { outcome: 'complete' }),
      incomplete: scrape.value('sessionwire_auth_revocation_confirmations_total', { outcome: 'incomplete' }),
      confirmedNodes: scrape.value('sessionwire_auth_revocation_confirmation_nodes_total', { outcome: 'confirmed' }),
      unconfirmedNodes: scrape.value('sessionwire_auth_revocation_confirmation_nodes_total', { outcome: 'unconfirmed' }),
    };
  }

  const moved = (before: Record<string, number>, after: Record<string, number>) => Object.fromEntries(Object.entries(after).map(([key, value]) => [key, value - before[key]]));

  async function socketsOnEveryNode(perNode: number): Promise<{ id: string; sockets: ClientSocket[] }> {
    const { id, session } = await newUser(cluster);
    const sockets = await Promise.all(
      cluster.gateways.flatMap((gateway) => Array.from({ length: perNode }, () => connectSocket(gateway.url, { token: session.accessToken }))),
    );
    return { id, sockets };
  }

  it('admin revoke answers with per-node counts that add up to the sockets that really closed', async () => {
    const { id, sockets } = await socketsOnEveryNode(2);
    const closed = sockets.map((socket) => disconnected(socket));
    const outcomesBefore = await confirmationOutcomes();
    const response = await request<RevokeResponse>(cluster.authUrl, 'POST', `/admin/users/${id}/revoke`, { headers: bearer(admin.accessToken) });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      revokedSessions: 1,
      closedSockets: 6,
      nodes: [
        { nodeId: 'gw-1', closedSockets: 2 },
        { nodeId: 'gw-2', closedSockets: 2 },
        { nodeId: 'gw-3', closedSockets: 2 },
      ],
      unconfirmedNodes: [],
    });
    expect(await Promise.all(closed)).toHaveLength(6);
    expect(moved(outcomesBefore, await confirmationOutcomes())).toEqual({ complete: 1, incomplete: 0, confirmedNodes: 3, unconfirmedNodes: 0 });
  });

  it('logout answers 204 at once, or 200 with the confirmation when asked', async () => {
    const { session } = await newUser(cluster);
    expect((await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(session.accessToken) })).status).toBe(204);

    const { username } = await newUser(cluster);
    const confirmed = await login(cluster.authUrl, username);
    const sockets = await Promise.all(cluster.gateways.map((gateway) => connectSocket(gateway.url, { token: confirmed.accessToken })));
    const response = await request<RevokeResponse>(cluster.authUrl, 'POST', '/auth/logout?confirm=true', { headers: bearer(confirmed.accessToken) });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      closedSockets: 3,
      nodes: cluster.gateways.map((gateway) => ({ nodeId: gateway.nodeId, closedSockets: 1 })),
      unconfirmedNodes: [],
    });
    await Promise.all(sockets.map((socket) => disconnected(socket)));
  });

  it('names a frozen node as unconfirmed and still answers within the deadline', async () => {
    const { id, sockets } = await socketsOnEveryNode(1);
    const frozen = cluster.gateways[1];
    const outcomesBefore = await confirmationOutcomes();
    frozen.process.signal('SIGSTOP');
    try {
      const started = Date.now();
      const response = await request<RevokeResponse>(cluster.authUrl, 'POST', `/admin/users/${id}/revoke`, { headers: bearer(admin.accessToken) });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(response.body.unconfirmedNodes).toEqual(['gw-2']);
      expect(response.body.nodes).toEqual([
        { nodeId: 'gw-1', closedSockets: 1 },
        { nodeId: 'gw-3', closedSockets: 1 },
      ]);
      expect(response.body.closedSockets).toBe(2);
      expect(moved(outcomesBefore, await confirmationOutcomes())).toEqual({ complete: 0, incomplete: 1, confirmedNodes: 2, unconfirmedNodes: 1 });
    } finally {
      frozen.process.signal('SIGCONT');
    }
    // Once thawed, the node handles the message it missed and its socket closes too.
    await disconnected(sockets[1], 10_000);
  });
});

describe.each(['reject_new', 'evict_oldest'] as const)('per-user connection limit (%s)', (policy) => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 3, gatewayEnv: { MAX_CONNECTIONS_PER_USER: '2', CONNECTION_LIMIT_POLICY: policy } });
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  it('holds across nodes', async () => {
    const { session } = await newUser(cluster);
    const first = await connectSocket(cluster.gateways[0].url, { token: session.accessToken });
    const second = await connectSocket(cluster.gateways[1].url, { token: session.accessToken });
    if (policy === 'reject_new') {
      expect((await connectError(cluster.gateways[2].url, { token: session.accessToken })).message).toBe('TOO_MANY_CONNECTIONS');
      expect(first.connected && second.connected).toBe(true);
    } else {
      const evicted = nextEvent(first, 'session:ended');
      const third = await connectSocket(cluster.gateways[2].url, { token: session.accessToken });
      expect(await evicted).toEqual({ reason: 'evicted', sessionId: session.sessionId });
      await disconnected(first);
      expect(second.connected && third.connected).toBe(true);
    }
  });

  it('holds when several connect at the same moment on different nodes', async () => {
    const { id, session } = await newUser(cluster);
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, index) => connectSocket(cluster.gateways[index % 3].url, { token: session.accessToken })),
    );
    const connected = attempts.filter((attempt) => attempt.status === 'fulfilled').map((attempt) => (attempt as PromiseFulfilledResult<ClientSocket>).value);
    if (policy === 'reject_new') {
      expect(connected).toHaveLength(2);
      expect(attempts.filter((attempt) => attempt.status === 'rejected').map((attempt) => ((attempt as PromiseRejectedResult).reason as Error).message)).toEqual(
        Array(4).fill('TOO_MANY_CONNECTIONS'),
      );
    }
    const admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
    await eventually(async () => {
      const live = connected.filter((socket) => socket.connected);
      expect(live).toHaveLength(2);
      const registered = await request<unknown[]>(cluster.authUrl, 'GET', `/admin/users/${id}/connections`, { headers: bearer(admin.accessToken) });
      expect(registered.body).toHaveLength(2);
    });
  });
});

describe('abuse limits and graceful drain', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 3, gatewayEnv: { EVENTS_PER_SECOND: '5', EVENT_BURST: '5', DRAIN_WINDOW: '1', PING_INTERVAL: '1', PING_TIMEOUT: '1' } });
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  it('refuses events over the rate, then drops a socket that keeps flooding; others are unaffected', async () => {
    const { session } = await newUser(cluster);
    const bystander = await connectSocket(cluster.gateways[0].url, { token: session.accessToken });
    const flooder = await connectSocket(cluster.gateways[0].url, { token: session.accessToken });
    const gone = disconnected(flooder);
    const replies = await Promise.all(Array.from({ length: 10 }, () => flooder.timeout(2000).emitWithAck('whoami').catch(() => null)));
    expect(replies.filter((reply) => reply?.ok === true).length).toBeLessThanOrEqual(6);
    expect(replies.some((reply) => reply?.ok === false && reply.error.code === 'RATE_LIMITED')).toBe(true);
    expect(await gone).toBe('io server disconnect');
    expect((await bystander.emitWithAck('whoami')).ok).toBe(true);
  });

  it('answers events over the rate sent without an ack with an `exception` event, as any failed event', async () => {
    const { session } = await newUser(cluster);
    const flooder = await connectSocket(cluster.gateways[1].url, { token: session.accessToken });
    const received = recordEvents(flooder);
    // 3 over the burst of 5: refused, but short of the 5 refusals in a row that drop the socket. A room:leave
    // sent without an ack has no answer of its own.
    for (let sent = 0; sent < 8; sent++) flooder.emit('room:leave', { room: 'nowhere' });
    // Answered after everything sent before it, refused or not: by then every `exception` has arrived.
    await flooder.emitWithAck('whoami');

    expect(received.length).toBeGreaterThan(0);
    expect(received).toEqual(Array(received.length).fill({ event: 'exception', payload: { code: 'RATE_LIMITED', message: 'At most 5 events per second' } }));
    expect(flooder.connected).toBe(true);
  });

  it('survives malformed packets: the offender is dropped, the node and other sockets stay up', async () => {
    const { session } = await newUser(cluster);
    const bystander = await connectSocket(cluster.gateways[1].url, { token: session.accessToken });
    for (const frame of ['42["a"', '42[{"toString":"x"}]', '42[42]', '4{', '2[{"toString":"x"}]']) {
      const offender = await connectSocket(cluster.gateways[1].url, { token: session.accessToken });
      const engine = (offender.io.engine as unknown as { write(data: string): void });
      engine.write(frame.startsWith('4') ? frame.slice(1) : frame);
      await offender.timeout(2000).emitWithAck('whoami').catch(() => null);
    }
    expect((await bystander.emitWithAck('whoami')).ok).toBe(true);
    const health = await fetch(`${cluster.gateways[1].url}/health`);
    expect(health.status).toBe(200);
  });

  it('drops a client that stops answering pings after PING_INTERVAL + PING_TIMEOUT, and forgets its registry entry', async () => {
    const admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
    const { id, session } = await newUser(cluster);
    const hung = await startClientProcess(cluster.gateways[0].url, session.accessToken);
    try {
      const healthy = await connectSocket(cluster.gateways[0].url, { token: session.accessToken });
      const registered = async () => (await connectionsOf(cluster.authUrl, admin, id)).map((connection) => connection.socketId).sort();
      expect(await registered()).toEqual([hung.socketId, healthy.id].sort());

      hung.freeze();

      // 1 s between pings and 1 s to answer: gone within a few seconds, while a client that answers stays.
      await eventually(async () => expect(await registered()).toEqual([healthy.id]), 10_000);
      expect(healthy.connected).toBe(true);
      expect((await healthy.emitWithAck('whoami')).ok).toBe(true);
    } finally {
      await hung.kill();
    }
  });

  it('during a SIGTERM drain /health/ready answers 503 {draining: true} and /health/live 200, while new handshakes are cut off', async () => {
    const { session } = await newUser(cluster);
    // The drain closes one socket per 100 ms step (the window has room for 600 steps), so 150 sockets keep it
    // going for about 15 s: far longer than the checks below take even on a loaded machine. Whether they really
    // ran during it is not assumed but asserted, from the order of events.
    const SOCKETS = 150;
    const node = await cluster.startGateway('gw-draining', { DRAIN_WINDOW: '60', HANDSHAKE_LIMIT_PER_IP: String(SOCKETS * 2) });
    const sockets: ClientSocket[] = [];
    while (sockets.length < SOCKETS) {
      const batch = Array.from({ length: Math.min(15, SOCKETS - sockets.length) }, () => connectSocket(node.url, { token: session.accessToken }));
      sockets.push(...(await Promise.all(batch)));
    }
    const events: string[] = [];
    const allClosed = Promise.all(sockets.map((socket) => disconnected(socket, 120_000))).then(() => events.push('last socket closed'));
    const probe = async (path: string) => {
      const { status, body } = await request(node.url, 'GET', path);
      return { status, body };
    };
    expect(await probe('/health/ready')).toEqual({ status: 200, body: { status: 'ready', nodeId: 'gw-draining', redis: 'ready', subscriber: 'ready', draining: false } });
    const told = nextEvent(sockets[0], 'server:draining');

    const exit = node.process.stop('SIGTERM');
    await told;
    expect(await probe('/health/ready')).toEqual({ status: 503, body: { status: 'not_ready', nodeId: 'gw-draining', redis: 'ready', subscriber: 'ready', draining: true } });
    events.push('readiness answered 503');
    expect(await probe('/health/live')).toEqual({ status: 200, body: { status: 'ok', nodeId: 'gw-draining' } });
    events.push('liveness answered 200');
    // No new socket meanwhile: the connection is cut before any handshake (behind nginx, it retries another node).
    expect((await connectError(node.url, { token: session.accessToken })).message).toMatch(/websocket error|xhr poll error/);
    events.push('handshake cut off');
    // The operator console's view of the node (its report to Redis) says so too.
    const admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
    await eventually(async () => {
      const { body } = await request<ClusterView>(cluster.authUrl, 'GET', '/admin/nodes', { headers: bearer(admin.accessToken) });
      expect(body.nodes.find((entry) => entry.nodeId === 'gw-draining')).toMatchObject({ alive: true, subscriber: 'ready', draining: true });
    }, 10_000);
    events.push('GET /admin/nodes showed draining');

    await allClosed;
    await exit;
    // All of it happened while the drain still had connections to close.
    expect(events).toEqual(['readiness answered 503', 'liveness answered 200', 'handshake cut off', 'GET /admin/nodes showed draining', 'last socket closed']);
    expect(node.process.logs()).toMatch(/Drained in \d+ ms/);
  }, 120_000);

  it('SIGTERM drains: clients are told, connections close at the transport (clients may reconnect), registry entries vanish', async () => {
    const admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
    const { id, session } = await newUser(cluster);
    const draining = cluster.gateways[2];
    const sockets = await Promise.all([0, 1, 2].map(() => connectSocket(draining.url, { token: session.accessToken })));
    const survivor = await connectSocket(cluster.gateways[0].url, { token: session.accessToken });
    const told = sockets.map((socket) => nextEvent(socket, 'server:draining'));
    const closed = sockets.map((socket) => disconnected(socket, 10_000));

    const exit = draining.process.stop('SIGTERM');
    expect(await Promise.all(told)).toEqual([{ reconnect: true }, { reconnect: true }, { reconnect: true }]);
    expect(await Promise.all(closed)).toEqual(['transport close', 'transport close', 'transport close']);
    // A clean stop: Nest re-raises SIGTERM after its shutdown hooks (exit code null), and nothing is printed outside
    // the JSON log (an unhandled rejection while the Redis connections closed printed a stack and exited 1).
    expect(await exit).toBeNull();
    expect(draining.process.logs()).toMatch(/Drained in \d+ ms/);
    expect(draining.process.logs().split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'))).toEqual([]);

    const connections = await request<Array<{ nodeId: string }>>(cluster.authUrl, 'GET', `/admin/users/${id}/connections`, { headers: bearer(admin.accessToken) });
    expect(connections.body.map((connection) => connection.nodeId)).toEqual(['gw-1']);
    const counts = await request<{ nodes: Array<{ nodeId: string }> }>(cluster.authUrl, 'GET', '/admin/connections/count', { headers: bearer(admin.accessToken) });
    expect(counts.body.nodes.map((node) => node.nodeId)).not.toContain('gw-3');
    expect(survivor.connected).toBe(true);

    // "Reconnect to the others": a client pointed at a live node gets straight back in.
    const reconnected = await connectSocket(cluster.gateways[1].url, { token: session.accessToken });
    expect((await reconnected.emitWithAck('whoami')).ok).toBe(true);
  });
});
