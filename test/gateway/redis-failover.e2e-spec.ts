import { redisKeys, USER_LOGGED_OUT_CHANNEL } from '@app/contracts';
import { Redis } from 'ioredis';
import { startCluster, type Cluster } from '../support/cluster';
import { eventually } from '../support/eventually';
import { bearer, connectionsOf, login, registerUser, request, type LoggedIn } from '../support/http';
import type { RedisClusterServer } from '../support/redis-cluster';
import type { TestRedis } from '../support/redis-server';
import { closeAllSockets, connectSocket, disconnected, expectAlive, nextEvent } from '../support/sockets';

/**
 * Cluster: node timeout 2 s, then the replica's election. Sentinel: down after 1 s, then the sentinels'
 * election and the promotion. Either harness's failover takes a few seconds.
 */
const FAILOVER_WITHIN_MS = 30_000;

interface User {
  id: string;
  username: string;
}

/** What the story needs of a Redis that can lose its master: both harnesses offer these. */
type FailoverRedis = TestRedis & Pick<RedisClusterServer, 'kill' | 'replicasInSync'>;

/** One topology's side of the story, bound to its started cluster. */
interface Failover {
  cluster: Cluster<FailoverRedis>;
  /** The port of the master to kill, once what must hold on it before the kill is asserted. */
  victim(): Promise<number>;
  /** A new user whose keys live on the master at `victim` (`register` registers one more user). */
  userOn(victim: number, register: () => Promise<User>): Promise<User>;
  /** Asserts the master at `victim` was replaced (after the gateways' subscribers reconnected). */
  expectMasterMoved(victim: number): Promise<void>;
}

interface Topology {
  name: string;
  start(gatewayEnv: Record<string, string>): Promise<Failover>;
}

/** The client names connected to the Redis node at `port` (each gateway names its subscriber connection). */
async function clientNamesOn(port: number): Promise<string[]> {
  const node = new Redis(port, '127.0.0.1');
  try {
    const list = (await node.client('LIST')) as string;
    return [...list.matchAll(/ name=(\S+)/g)].map((match) => match[1]);
  } finally {
    node.disconnect();
  }
}

const topologies: Topology[] = [
  {
    name: 'Redis Cluster (3 masters, 1 replica each)',
    async start(gatewayEnv) {
      const cluster = await startCluster({ gateways: 3, redisTopology: 'cluster', redisCluster: { replicas: 1 }, gatewayEnv });
      const masterOfChannel = () => cluster.redis.masterOf(USER_LOGGED_OUT_CHANNEL);
      return {
        cluster,
        // The gateways subscribe on the master serving the channel's slot; the users' keys are put there too.
        async victim() {
          const port = await masterOfChannel();
          expect(await clientNamesOn(port)).toEqual(expect.arrayContaining(cluster.gateways.map((gateway) => `sessionwire:${gateway.nodeId}:user-logged-out`)));
          return port;
        },
        // User ids are random, so a few tries.
        async userOn(victim, register) {
          for (let attempt = 0; attempt < 30; attempt++) {
            const user = await register();
            if ((await cluster.redis.masterOf(redisKeys.user(user.id))) === victim) return user;
          }
          throw new Error(`30 users registered, none on the master at ${victim}`);
        },
        // The promoted replica takes the slot over once it has won the election: no event announces it.
        expectMasterMoved: (victim) => eventually(async () => expect(await masterOfChannel()).not.toBe(victim), FAILOVER_WITHIN_MS),
      };
    },
  },
  {
    name: 'Redis Sentinel (master, replica, 3 sentinels)',
    async start(gatewayEnv) {
      const cluster = await startCluster({ gateways: 3, redisTopology: 'sentinel', gatewayEnv });
      return {
        cluster,
        // One master holds every key and the subscriptions.
        victim: () => cluster.redis.masterPort(),
        userOn: (_victim, register) => register(),
        // The gateways' subscribers reconnect only to the master the sentinels announce: after their re-checks,
        // the promotion has happened.
        expectMasterMoved: async (victim) => expect(await cluster.redis.masterPort()).not.toBe(victim),
      };
    },
  },
];

describe.each(topologies)('Redis failover under auth and 3 gateways: $name', ({ start }) => {
  let failover: Failover;
  let cluster: Cluster<FailoverRedis>;
  let admin: LoggedIn;
  let counter = 0;

  beforeAll(async () => {
    // An hour between periodic re-checks: a socket dropped below without a message was dropped by the re-check
    // that follows a subscriber's reconnect.
    failover = await start({ RECHECK_INTERVAL: '3600' });
    cluster = failover.cluster;
    admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
  }, 90_000);

  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  const newUser = () => registerUser(cluster.authUrl, `failover-user-${++counter}`);

  const onEveryGateway = (session: LoggedIn) => Promise.all(cluster.gateways.map((gateway) => connectSocket(gateway.url, { token: session.accessToken })));

  it('after the master holding the sessions and the subscriptions is killed, everything comes back by itself and nothing Redis kept is lost', async () => {
    const victim = await failover.victim();
    const alice = await failover.userOn(victim, newUser);
    const bob = await failover.userOn(victim, newUser);
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
    await failover.expectMasterMoved(victim);
    for (const gateway of cluster.gateways) await gateway.process.waitForLog(/Subscriber reconnected/);
    await expectAlive([...staying, ...bobSockets]);

    // Auth finds the new master by itself (Cluster: the promoted replica; Sentinel: through the sentinels); the
    // first requests may still answer 503 while it does.
    await eventually(async () => expect((await request(cluster.authUrl, 'GET', '/health')).status).toBe(200), FAILOVER_WITHIN_MS);
    const ended = staying.map((socket) => nextEvent(socket, 'session:ended'));
    const closed = staying.map((socket) => disconnected(socket));
    expect((await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(aliceStays.accessToken) })).status).toBe(204);
    expect(await Promise.all(ended)).toEqual(staying.map(() => ({ reason: 'logout', sessionId: aliceStays.sessionId })));
    await Promise.all(closed);
    await eventually(async () => expect(await connectionsOf(cluster.authUrl, admin, alice.id)).toEqual([]));

    // Users, passwords and sessions written before the kill are all there; new users can register and log in.
    expect((await connectionsOf(cluster.authUrl, admin, bob.id)).map((connection) => connection.nodeId).sort()).toEqual(['gw-1', 'gw-2', 'gw-3']);
    const bobAgain = await login(cluster.authUrl, bob.username);
    const carol = await newUser();
    const [carolOnGw1] = await onEveryGateway(await login(cluster.authUrl, carol.username));

    // Broadcasts still cross nodes: the Socket.IO adapter's connections followed the new master too (on Cluster,
    // the sharded adapter resubscribed on the promoted replica).
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
