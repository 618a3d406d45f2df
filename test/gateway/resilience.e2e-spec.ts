import { redisKeys } from '@app/contracts';
import { Redis } from 'ioredis';
import { closeAllClients, recordClientEvents, sdkClient, whoami } from '../support/client';
import { startCluster, type Cluster, type GatewayNode } from '../support/cluster';
import { eventually } from '../support/eventually';
import { bearer, connectionsOf, login, registerUser, request, type LoggedIn } from '../support/http';
import { metricValue, MetricsScrape } from '../support/metrics';
import { closeAllSockets, connectError, connectSocket, disconnected, expectAlive, nextEvent } from '../support/sockets';

describe('gateway resilience: lost revocations and a Redis restart', () => {
  let cluster: Cluster;
  let admin: LoggedIn;
  let redis: Redis;
  let counter = 0;

  beforeAll(async () => {
    // An hour between periodic re-checks: whatever drops a socket below was triggered by a reconnect.
    cluster = await startCluster({ gateways: 3, gatewayEnv: { RECHECK_INTERVAL: '3600' } });
    admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
  }, 60_000);

  afterEach(() => {
    closeAllSockets();
    closeAllClients();
  });
  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  async function newUser(): Promise<LoggedIn> {
    const username = `res-user-${++counter}`;
    await registerUser(cluster.authUrl, username);
    return login(cluster.authUrl, username);
  }

  /** Status and body of `GET url + path`, for one assertion that shows both. */
  async function probe(url: string, path: string): Promise<{ status: number; body: unknown }> {
    const { status, body } = await request(url, 'GET', path);
    return { status, body };
  }

  const socketsOn = (session: LoggedIn, nodes: readonly GatewayNode[]) => Promise.all(nodes.map((node) => connectSocket(node.url, { token: session.accessToken })));

  describe('a revocation whose publish was lost', () => {
    beforeAll(() => {
      redis = new Redis(cluster.redis.url);
    });
    afterAll(async () => {
      await redis.quit();
    });

    /** Cuts the node's `user-logged-out` subscriber connection from the Redis side, as a network blip would. */
    async function killSubscriber(node: GatewayNode): Promise<void> {
      const name = `sessionwire:${node.nodeId}:user-logged-out`;
      const list = (await redis.client('LIST')) as string;
      const line = list.split('\n').find((candidate) => candidate.split(' ').includes(`name=${name}`));
      if (!line) throw new Error(`no Redis client named ${name} in CLIENT LIST:\n${list}`);
      const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
      expect(await redis.client('KILL', 'ID', String(id))).toBe(1);
    }

    it('is caught by the re-check after the subscriber reconnects, on each node as its own subscriber reconnects', async () => {
      const alice = await newUser();
      const aliceOtherSession = await login(cluster.authUrl, alice.user.username);
      const bob = await newUser();
      const [onGw1, onGw2, onGw3] = await socketsOn(alice, cluster.gateways);
      const survivors = [...(await socketsOn(aliceOtherSession, cluster.gateways)), ...(await socketsOn(bob, cluster.gateways))];
      const recheckCounts = async () =>
        Promise.all(
          cluster.gateways.map(async (node) => {
            const scrape = await MetricsScrape.of(node.url);
            return {
              closed: scrape.value('sessionwire_gateway_recheck_closed_sockets_total', { reason: 'session_revoked' }),
              passes: scrape.value('sessionwire_gateway_recheck_duration_seconds_count'),
            };
          }),
        );
      const before = await recheckCounts();

      // A logout whose user-logged-out message never reached anyone: the session is simply gone.
      expect(await redis.del(redisKeys.session(alice.user.id, alice.sessionId))).toBe(1);

      const endedOnGw1 = nextEvent(onGw1, 'session:ended');
      const goneOnGw1 = disconnected(onGw1);
      await killSubscriber(cluster.gateways[0]);
      expect(await endedOnGw1).toEqual({ reason: 'session_revoked', sessionId: alice.sessionId });
      expect(await goneOnGw1).toBe('io server disconnect');

      // gw-2 and gw-3 had no reconnect, so no reason to re-check yet: their sockets of the session stay,
      // but cannot write to the ended session.
      await expectAlive([onGw2, onGw3, ...survivors]);
      expect(await onGw2.emitWithAck('session:set', { key: 'theme', value: 'dark' })).toEqual({
        ok: false,
        error: { code: 'SESSION_REVOKED', message: expect.any(String) },
      });

      const ended = [onGw2, onGw3].map((socket) => nextEvent(socket, 'session:ended'));
      const gone = [onGw2, onGw3].map((socket) => disconnected(socket));
      await killSubscriber(cluster.gateways[1]);
      await killSubscriber(cluster.gateways[2]);
      expect(await Promise.all(ended)).toEqual([0, 1].map(() => ({ reason: 'session_revoked', sessionId: alice.sessionId })));
      expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect']);

      await expectAlive(survivors);
      await eventually(async () => {
        expect((await connectionsOf(cluster.authUrl, admin, alice.user.id)).map((connection) => connection.sessionId)).toEqual([0, 1, 2].map(() => aliceOtherSession.sessionId));
      });
      // Each node's re-check closed the one socket whose message it missed, in a pass it timed (recorded once the
      // pass has also reconciled the registry, so possibly after the sockets closed).
      await eventually(async () => {
        const after = await recheckCounts();
        expect(after.map((node, index) => ({ closed: node.closed - before[index].closed, timed: node.passes > before[index].passes }))).toEqual(
          [0, 1, 2].map(() => ({ closed: 1, timed: true })),
        );
      });
      for (const node of cluster.gateways) expect((await request(node.url, 'GET', '/health')).status).toBe(200);
    });

    it('a real logout published while one node’s subscriber is cut: the others drop at once, that node after it reconnects', async () => {
      const alice = await newUser();
      const bob = await newUser();
      const [onGw1, ...elsewhere] = await socketsOn(alice, cluster.gateways);
      const [bobOnGw1] = await socketsOn(bob, [cluster.gateways[0]]);
      const gw1 = cluster.gateways[0].process;

      // Frozen, gw-1 cannot reconnect before the logout is published; its subscription is gone from Redis.
      gw1.signal('SIGSTOP');
      try {
        await killSubscriber(cluster.gateways[0]);
        const ended = elsewhere.map((socket) => nextEvent(socket, 'session:ended'));
        expect((await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(alice.accessToken) })).status).toBe(204);
        expect(await Promise.all(ended)).toEqual([0, 1].map(() => ({ reason: 'logout', sessionId: alice.sessionId })));
      } finally {
        gw1.signal('SIGCONT');
      }

      const endedOnGw1 = nextEvent(onGw1, 'session:ended');
      const goneOnGw1 = disconnected(onGw1);
      expect(await endedOnGw1).toEqual({ reason: 'session_revoked', sessionId: alice.sessionId });
      expect(await goneOnGw1).toBe('io server disconnect');
      await expectAlive([bobOnGw1]);
    });
  });

  describe('Redis stopped and started again', () => {
    it('keeps the sockets, refuses handshakes with UNAVAILABLE meanwhile (the SDK keeps retrying), then every node resubscribes and works', async () => {
      const alice = await newUser();
      const bob = await newUser();
      const aliceSockets = await socketsOn(alice, cluster.gateways);
      const [bobOnGw2, bobLeaving] = await socketsOn(bob, [cluster.gateways[1], cluster.gateways[2]]);
      const subscriberGauges = () => Promise.all(cluster.gateways.map((node) => metricValue(node.url, 'sessionwire_gateway_subscriber_connected')));
      expect(await subscriberGauges()).toEqual([1, 1, 1]);

      await cluster.redis.stop();
      await eventually(async () => expect(await subscriberGauges()).toEqual([0, 0, 0]), 10_000);
      // Its registry entry cannot be removed now; the re-check after the reconnect reconciles it.
      bobLeaving.close();
      await cluster.gateways[2].process.waitForLog(/Could not remove 1 registry entries/);
      for (const node of cluster.gateways) {
        const refused = await connectError(node.url, { token: bob.accessToken });
        expect({ message: refused.message, code: refused.data?.code }).toEqual({ message: 'UNAVAILABLE', code: 'UNAVAILABLE' });
        const health = await request(node.url, 'GET', '/health');
        expect({ status: health.status, body: health.body }).toMatchObject({ status: 503, body: { status: 'degraded', nodeId: node.nodeId } });
        // Not ready for new connections, but alive: an orchestrator must not kill a node whose sockets are fine.
        const ready = await request<{ redis: string; subscriber: string }>(node.url, 'GET', '/health/ready');
        expect({ status: ready.status, body: ready.body }).toEqual({
          status: 503,
          body: { status: 'not_ready', nodeId: node.nodeId, redis: expect.any(String), subscriber: expect.any(String), draining: false },
        });
        expect([ready.body.redis, ready.body.subscriber]).not.toContain('ready');
        expect(await probe(node.url, '/health/live')).toEqual({ status: 200, body: { status: 'ok', nodeId: node.nodeId } });
      }
      const authReady = await request<{ redis: string }>(cluster.authUrl, 'GET', '/health/ready');
      expect({ status: authReady.status, body: authReady.body }).toEqual({ status: 503, body: { status: 'not_ready', redis: expect.any(String) } });
      expect(authReady.body.redis).not.toBe('ready');
      expect(await probe(cluster.authUrl, '/health/live')).toEqual({ status: 200, body: { status: 'ok' } });
      // The sockets outlive the outage: nothing they hold needs Redis.
      await expectAlive([...aliceSockets, bobOnGw2]);
      // An SDK client that connects now is refused with UNAVAILABLE and retries with backoff, never signing out.
      const retrying = sdkClient({ url: cluster.gateways[0].url, credentials: 'token', accessToken: bob.accessToken, refreshToken: bob.refreshToken });
      const sdkEvents = recordClientEvents(retrying);
      await eventually(() => expect(sdkEvents.filter(({ event }) => event === 'reconnecting').length).toBeGreaterThanOrEqual(2), 10_000);
      expect(retrying.state).toBe('reconnecting');

      await cluster.redis.start();
      await eventually(async () => {
        for (const url of [cluster.authUrl, ...cluster.gateways.map((node) => node.url)]) {
          for (const path of ['/health', '/health/ready', '/health/live']) expect({ url, path, status: (await request(url, 'GET', path)).status }).toEqual({ url, path, status: 200 });
        }
      }, 15_000);
      for (const node of cluster.gateways) {
        expect(await probe(node.url, '/health/ready')).toEqual({
          status: 200,
          body: { status: 'ready', nodeId: node.nodeId, redis: 'ready', subscriber: 'ready', draining: false },
        });
      }
      expect(await probe(cluster.authUrl, '/health/ready')).toEqual({ status: 200, body: { status: 'ready', redis: 'ready' } });
      expect(await subscriberGauges()).toEqual([1, 1, 1]);
      await expectAlive([...aliceSockets, bobOnGw2]);
      await eventually(() => expect(retrying.state).toBe('connected'), 15_000);
      expect(sdkEvents.map(({ event }) => event)).not.toContain('signedOut');
      expect((await whoami(retrying)).sessionId).toBe(bob.sessionId);
      retrying.close();
      await eventually(async () => expect((await connectionsOf(cluster.authUrl, admin, bob.user.id)).map((connection) => connection.socketId)).toEqual([bobOnGw2.id]));

      // A logout now reaches every node through its resubscribed subscriber: the reason is the message's, not the re-check's.
      const ended = aliceSockets.map((socket) => nextEvent(socket, 'session:ended'));
      const gone = aliceSockets.map((socket) => disconnected(socket));
      expect((await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(alice.accessToken) })).status).toBe(204);
      expect(await Promise.all(ended)).toEqual(aliceSockets.map(() => ({ reason: 'logout', sessionId: alice.sessionId })));
      await Promise.all(gone);
      await expectAlive([bobOnGw2]);

      // New handshakes work on every node, and broadcasts cross nodes again (the adapter resubscribed too).
      const bobSockets = await socketsOn(bob, cluster.gateways);
      const delivered = [...bobSockets, bobOnGw2].map((socket) => nextEvent(socket, 'dm'));
      const [carolOnGw1] = await socketsOn(await newUser(), [cluster.gateways[0]]);
      expect(await carolOnGw1.emitWithAck('dm', { toUserId: bob.user.id, text: 'after the restart' })).toEqual({ ok: true });
      expect((await Promise.all(delivered)).map((payload) => payload.text)).toEqual([0, 1, 2, 3].map(() => 'after the restart'));
    }, 30_000);
  });
});
