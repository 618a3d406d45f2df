import { redisKeys, USER_LOGGED_OUT_CHANNEL, type ConnectionView } from '@app/contracts';
import { Redis } from 'ioredis';
import { startCluster, type Cluster } from '../support/cluster';
import { eventually } from '../support/eventually';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';
import type { RedisClusterServer } from '../support/redis-cluster';
import { closeAllSockets, connectSocket, disconnected, nextEvent, type ClientSocket } from '../support/sockets';

/** Node timeout 2 s, then the replica's election: the harness's failover takes a few seconds. */
const FAILOVER_WITHIN_MS = 30_000;

describe('Redis Cluster failover under auth and 3 gateways (3 masters, 1 replica each)', () => {
  let cluster: Cluster<RedisClusterServer>;
  let admin: LoggedIn;
  let counter = 0;

  beforeAll(async () => {
    // An hour between periodic re-checks: a socket dropped below without a message was dropped by the re-check
    // that follows a subscriber's reconnect.
    cluster = await startCluster({ gateways: 3, redisTopology: 'cluster', redisCluster: { replicas: 1 }, gatewayEnv: { RECHECK_INTERVAL: '3600' } });
    admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
  }, 90_000);

  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  /** A new user whose keys live on the master at `port` (user ids are random, so a few tries). */
  async function userOnMaster(port: number): Promise<{ id: string; username: string }> {
    for (let attempt = 0; attempt < 30; attempt++) {
      const user = await registerUser(cluster.authUrl, `failover-user-${++counter}`);
      if ((await cluster.redis.masterOf(redisKeys.user(user.id))) === port) return user;
    }
    throw new Error(`30 users registered, none on the master at ${port}`);
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

  async function clientNamesOn(port: number): Promise<string[]> {
    const node = new Redis(port, '127.0.0.1');
    try {
      const list = (await node.client('LIST')) as string;
      return [...list.matchAll(/ name=(\S+)/g)].map((match) => match[1]);
    } finally {
      node.disconnect();
    }
  }

  it('after the master holding the sessions and the subscriptions dies, everything comes back by itself and nothing Redis kept is lost', async () => {
    // The gateways subscribe on the master serving the channel's slot; the users' keys are put there too.
    const victim = await cluster.redis.masterOf(USER_LOGGED_OUT_CHANNEL);
    expect(await clientNamesOn(victim)).toEqual(expect.arrayContaining(cluster.gateways.map((gateway) => `gateway:${gateway.nodeId}:user-logged-out`)));
    const alice = await userOnMaster(victim);
    const bob = await userOnMaster(victim);
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

    const revoked = endedSockets.map((socket) => nextEvent(socket, 'session:ended', FAILOVER_WITHIN_MS));
    const gone = endedSockets.map((socket) => disconnected(socket, FAILOVER_WITHIN_MS));
    await cluster.redis.kill(victim);

    expect(await Promise.all(revoked)).toEqual(endedSockets.map(() => ({ reason: 'session_revoked', sessionId: aliceEnded.sessionId })));
    expect(await Promise.all(gone)).toEqual(endedSockets.map(() => 'io server disconnect'));
    await eventually(async () => expect(await cluster.redis.masterOf(USER_LOGGED_OUT_CHANNEL)).not.toBe(victim), FAILOVER_WITHIN_MS);
    for (const gateway of cluster.gateways) await gateway.process.waitForLog(/Subscriber reconnected/);
    await expectAlive([...staying, ...bobSockets]);

    // Auth finds the promoted replica by itself (the first requests may still answer 503 while it does).
    await eventually(async () => expect((await request(cluster.authUrl, 'GET', '/health')).status).toBe(200), FAILOVER_WITHIN_MS);
    const ended = staying.map((socket) => nextEvent(socket, 'session:ended'));
    const closed = staying.map((socket) => disconnected(socket));
    expect((await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(aliceStays.accessToken) })).status).toBe(204);
    expect(await Promise.all(ended)).toEqual(staying.map(() => ({ reason: 'logout', sessionId: aliceStays.sessionId })));
    await Promise.all(closed);
    await eventually(async () => expect(await connectionsOf(alice.id)).toEqual([]));

    // Users, passwords and sessions written before the kill are all there; new ones can register and log in.
    expect((await connectionsOf(bob.id)).map((connection) => connection.nodeId).sort()).toEqual(['gw-1', 'gw-2', 'gw-3']);
    const bobAgain = await login(cluster.authUrl, bob.username);
    const carol = await registerUser(cluster.authUrl, `failover-user-${++counter}`);
    const [carolOnGw1] = await onEveryGateway(await login(cluster.authUrl, carol.username));

    // Broadcasts still cross nodes: the sharded adapter resubscribed on the promoted replica too.
    const bobEverywhere = [...bobSockets, ...(await onEveryGateway(bobAgain))];
    const delivered = bobEverywhere.map((socket) => nextEvent(socket, 'dm'));
    expect(await carolOnGw1.emitWithAck('dm', { toUserId: bob.id, text: 'after the failover' })).toEqual({ ok: true });
    expect((await Promise.all(delivered)).map((payload) => payload.text)).toEqual(bobEverywhere.map(() => 'after the failover'));

    // logout-all of a user whose keys moved to the promoted replica still drops every socket on every gateway.
    const bobGone = bobEverywhere.map((socket) => disconnected(socket));
    expect((await request(cluster.authUrl, 'POST', '/auth/logout-all', { headers: bearer(bobAgain.accessToken) })).status).toBe(204);
    expect(await Promise.all(bobGone)).toEqual(bobEverywhere.map(() => 'io server disconnect'));
  }, 120_000);
});
