import { redisKeys, type ConnectionView } from '@app/contracts';
import { startCluster, type Cluster } from '../support/cluster';
import { eventually } from '../support/eventually';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';
import type { RedisSentinelServer } from '../support/redis-sentinel';
import { closeAllSockets, connectSocket, disconnected, nextEvent, type ClientSocket } from '../support/sockets';

/** Down after 1 s, then the sentinels' election and the promotion: a few seconds here. */
const FAILOVER_WITHIN_MS = 30_000;

describe('Redis Sentinel failover under auth and 3 gateways (master, replica, 3 sentinels)', () => {
  let cluster: Cluster<RedisSentinelServer>;
  let admin: LoggedIn;
  let counter = 0;

  beforeAll(async () => {
    // An hour between periodic re-checks: a socket dropped below without a message was dropped by the re-check
    // that follows a subscriber's reconnect.
    cluster = await startCluster({ gateways: 3, redisTopology: 'sentinel', gatewayEnv: { RECHECK_INTERVAL: '3600' } });
    admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
  }, 90_000);

  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  async function newUser(): Promise<{ id: string; username: string }> {
    return registerUser(cluster.authUrl, `sentinel-user-${++counter}`);
  }

  const onEveryGateway = (session: LoggedIn) => Promise.all(cluster.gateways.map((gateway) => connectSocket(gateway.url, { token: session.accessToken })));

  const connectionsOf = async (userId: string) =>
    (await request<ConnectionView[]>(cluster.authUrl, 'GET', `/admin/users/${userId}/connections`, { headers: bearer(admin.accessToken) })).body;

  const expectAlive = async (sockets: ClientSocket[]) => {
    for (const socket of sockets) {
      expect(socket.connected).toBe(true);
      expect((await socket.emitWithAck('whoami')).ok).toBe(true);
    }
  };

  it('after the master is killed, the apps follow the promoted replica by themselves and nothing Redis kept is lost', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const [aliceEnded, aliceStays, bobSession] = [await login(cluster.authUrl, alice.username), await login(cluster.authUrl, alice.username), await login(cluster.authUrl, bob.username)];
    const endedSockets = await onEveryGateway(aliceEnded);
    const staying = await onEveryGateway(aliceStays);
    const bobSockets = await onEveryGateway(bobSession);

    // A session that ends while no user-logged-out message reaches anyone (deleted, not published): only the
    // re-check each gateway runs after its subscriber reconnects can find it.
    const inspector = cluster.redis.client();
    try {
      expect(await inspector.del(redisKeys.session(alice.id, aliceEnded.sessionId))).toBe(1);
    } finally {
      await inspector.quit();
    }
    await expectAlive(endedSockets);
    await cluster.redis.replicasInSync();

    const oldMaster = await cluster.redis.masterPort();
    const revoked = endedSockets.map((socket) => nextEvent(socket, 'session:ended', FAILOVER_WITHIN_MS));
    const gone = endedSockets.map((socket) => disconnected(socket, FAILOVER_WITHIN_MS));
    await cluster.redis.kill(oldMaster);

    expect(await Promise.all(revoked)).toEqual(endedSockets.map(() => ({ reason: 'session_revoked', sessionId: aliceEnded.sessionId })));
    expect(await Promise.all(gone)).toEqual(endedSockets.map(() => 'io server disconnect'));
    expect(await cluster.redis.masterPort()).not.toBe(oldMaster);
    for (const gateway of cluster.gateways) await gateway.process.waitForLog(/Subscriber reconnected/);
    await expectAlive([...staying, ...bobSockets]);

    // Auth reconnects through the sentinels by itself (the first requests may answer 503 while it does).
    await eventually(async () => expect((await request(cluster.authUrl, 'GET', '/health')).status).toBe(200), FAILOVER_WITHIN_MS);
    const ended = staying.map((socket) => nextEvent(socket, 'session:ended'));
    const closed = staying.map((socket) => disconnected(socket));
    expect((await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(aliceStays.accessToken) })).status).toBe(204);
    expect(await Promise.all(ended)).toEqual(staying.map(() => ({ reason: 'logout', sessionId: aliceStays.sessionId })));
    await Promise.all(closed);
    await eventually(async () => expect(await connectionsOf(alice.id)).toEqual([]));

    // Users, passwords and sessions written before the kill are all there; new users can register and log in.
    expect((await connectionsOf(bob.id)).map((connection) => connection.nodeId).sort()).toEqual(['gw-1', 'gw-2', 'gw-3']);
    const bobAgain = await login(cluster.authUrl, bob.username);
    const carol = await newUser();
    const [carolOnGw1] = await onEveryGateway(await login(cluster.authUrl, carol.username));

    // Broadcasts still cross nodes: the Socket.IO adapter's connections followed the new master too.
    const bobEverywhere = [...bobSockets, ...(await onEveryGateway(bobAgain))];
    const delivered = bobEverywhere.map((socket) => nextEvent(socket, 'dm'));
    expect(await carolOnGw1.emitWithAck('dm', { toUserId: bob.id, text: 'after the failover' })).toEqual({ ok: true });
    expect((await Promise.all(delivered)).map((payload) => payload.text)).toEqual(bobEverywhere.map(() => 'after the failover'));

    const bobGone = bobEverywhere.map((socket) => disconnected(socket));
    expect((await request(cluster.authUrl, 'POST', '/auth/logout-all', { headers: bearer(bobAgain.accessToken) })).status).toBe(204);
    expect(await Promise.all(bobGone)).toEqual(bobEverywhere.map(() => 'io server disconnect'));
  }, 120_000);
});
