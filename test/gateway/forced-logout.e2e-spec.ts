import { redisKeys, type UserLoggedOut } from '@app/contracts';
import type { TestRedis } from '../support/redis-server';
import { startCluster, type Cluster, type RedisTopologyOption } from '../support/cluster';
import { bearer, connectionsOf as connectionsOfUser, login, registerUser, request, type LoggedIn } from '../support/http';
import { closeAllSockets, connectError, connectSocket, disconnected, nextEvent, type ClientSocket, type ReceivedEvent } from '../support/sockets';

interface UserSockets {
  id: string;
  sessions: [LoggedIn, LoggedIn];
  /** sockets[s][n]: session s on gateway n. */
  sockets: ClientSocket[][];
}

describe.each<RedisTopologyOption>(['standalone', 'sentinel', 'cluster'])('forced logout across 3 gateway processes (Redis %s)', (redisTopology) => {
  let cluster: Cluster<TestRedis>;
  let admin: LoggedIn;
  let counter = 0;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 3, redisTopology });
    admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
  });

  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  /** A user with two sessions, each holding one socket on every gateway (session 0 by token, 1 by cookie). */
  async function userOnEveryNode(): Promise<UserSockets> {
    const username = `user-${++counter}`;
    const { id } = await registerUser(cluster.authUrl, username);
    const sessions: [LoggedIn, LoggedIn] = [await login(cluster.authUrl, username), await login(cluster.authUrl, username)];
    const sockets = await Promise.all(
      sessions.map((session, index) =>
        Promise.all(cluster.gateways.map((gateway) => connectSocket(gateway.url, index === 0 ? { token: session.accessToken } : { cookie: session.cookie }))),
      ),
    );
    return { id, sessions, sockets };
  }

  const connectionsOf = (userId: string) => connectionsOfUser(cluster.authUrl, admin, userId);

  it('registers every socket in the shared registry with its node and session', async () => {
    const alice = await userOnEveryNode();
    const connections = await connectionsOf(alice.id);
    expect(connections).toHaveLength(6);
    expect(new Set(connections.map((connection) => connection.nodeId))).toEqual(new Set(['gw-1', 'gw-2', 'gw-3']));
    for (const [index, session] of alice.sessions.entries()) {
      const ids = alice.sockets[index].map((socket) => socket.id).sort();
      expect(connections.filter((connection) => connection.sessionId === session.sessionId).map((connection) => connection.socketId).sort()).toEqual(ids);
    }
    // The entries are in this suite's Redis (read back through a Sentinel or Cluster client on those topologies).
    const inspector = cluster.redis.client();
    try {
      expect(await inspector.hlen(redisKeys.userSockets(alice.id))).toBe(6);
    } finally {
      await inspector.quit();
    }
    const whoami = await Promise.all(alice.sockets[0].map((socket) => socket.emitWithAck('whoami')));
    expect(whoami.map((reply) => (reply.ok ? reply.nodeId : reply.error.code))).toEqual(['gw-1', 'gw-2', 'gw-3']);
  });

  it('logout drops exactly that session on every node, telling each socket why', async () => {
    const alice = await userOnEveryNode();
    const bob = await userOnEveryNode();
    const ended = alice.sockets[0].map((socket) => nextEvent(socket, 'session:ended'));
    const gone = alice.sockets[0].map((socket) => disconnected(socket));

    const logout = await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(alice.sessions[0].accessToken) });
    expect(logout.status).toBe(204);

    expect(await Promise.all(ended)).toEqual(alice.sockets[0].map(() => ({ reason: 'logout', sessionId: alice.sessions[0].sessionId })));
    expect(await Promise.all(gone)).toEqual(['io server disconnect', 'io server disconnect', 'io server disconnect']);
    for (const socket of [...alice.sockets[1], ...bob.sockets.flat()]) expect(socket.connected).toBe(true);
    // The survivors still answer, so they really are alive on their nodes.
    await Promise.all([...alice.sockets[1], ...bob.sockets.flat()].map(async (socket) => expect((await socket.emitWithAck('whoami')).ok).toBe(true)));

    const remaining = await connectionsOf(alice.id);
    expect(remaining.map((connection) => connection.sessionId)).toEqual([alice.sessions[1].sessionId, alice.sessions[1].sessionId, alice.sessions[1].sessionId]);
    expect(await connectionsOf(bob.id)).toHaveLength(6);
  });

  it.each([
    ['logout-all', 'logout_all'],
    ['admin revoke', 'admin_revoke'],
  ] as const)('%s drops every socket of the user on every node, and nobody else', async (_name, reason) => {
    const alice = await userOnEveryNode();
    const bob = await userOnEveryNode();
    const all = alice.sockets.flat();
    const ended = all.map((socket) => nextEvent(socket, 'session:ended'));
    const gone = all.map((socket) => disconnected(socket));

    const response =
      reason === 'logout_all'
        ? await request(cluster.authUrl, 'POST', '/auth/logout-all', { headers: { cookie: alice.sessions[1].cookie, origin: 'http://app.test' } })
        : await request(cluster.authUrl, 'POST', `/admin/users/${alice.id}/revoke`, { headers: bearer(admin.accessToken) });
    expect(response.status).toBe(reason === 'logout_all' ? 204 : 200);
    if (reason === 'admin_revoke') {
      // Confirmed revocation: every gateway's ack reached the auth service's ack subscriber on this topology.
      expect(response.body).toEqual({
        revokedSessions: 2,
        closedSockets: 6,
        nodes: ['gw-1', 'gw-2', 'gw-3'].map((nodeId) => ({ nodeId, closedSockets: 2 })),
        unconfirmedNodes: [],
      });
    }

    const events = await Promise.all(ended);
    expect(events.map((event) => event.reason)).toEqual(all.map(() => reason));
    const expectedSessionIds = alice.sockets.flatMap((sockets, index) => sockets.map(() => alice.sessions[index].sessionId));
    expect(events.map((event) => event.sessionId)).toEqual(expectedSessionIds);
    await Promise.all(gone);
    for (const socket of bob.sockets.flat()) expect(socket.connected).toBe(true);
    expect(await connectionsOf(alice.id)).toEqual([]);
  });

  it('refuses reconnecting with the revoked token or cookie, and the old refresh token', async () => {
    const alice = await userOnEveryNode();
    const gone = alice.sockets.flat().map((socket) => disconnected(socket));
    await request(cluster.authUrl, 'POST', '/auth/logout-all', { headers: bearer(alice.sessions[0].accessToken) });
    await Promise.all(gone);

    for (const gateway of cluster.gateways) {
      expect((await connectError(gateway.url, { token: alice.sessions[0].accessToken })).message).toBe('SESSION_REVOKED');
      expect((await connectError(gateway.url, { cookie: alice.sessions[1].cookie })).message).toBe('SESSION_REVOKED');
    }
    const refresh = await request(cluster.authUrl, 'POST', '/auth/refresh', { json: { refreshToken: alice.sessions[0].refreshToken } });
    expect(refresh.status).toBe(401);
    expect(await connectionsOf(alice.id)).toEqual([]);
  });

  it('a contract message published straight to Redis (as redis-cli would) drops the user on every node; an invalid one is ignored', async () => {
    const alice = await userOnEveryNode();
    const publisher = cluster.redis.client();
    try {
      await publisher.publish('user-logged-out', '{"v":1,"userId":"not-valid"');
      await publisher.publish('user-logged-out', JSON.stringify({ v: 1, id: crypto.randomUUID(), userId: alice.id, sessionIds: null, reason: 'bogus', at: Date.now() }));
      // The nodes are still up and the sockets still there after the invalid messages.
      await Promise.all(alice.sockets.flat().map(async (socket) => expect((await socket.emitWithAck('whoami')).ok).toBe(true)));

      const message: UserLoggedOut = { v: 1, id: crypto.randomUUID(), userId: alice.id, sessionIds: [alice.sessions[1].sessionId], reason: 'admin_revoke', at: Date.now() };
      const ended = alice.sockets[1].map((socket) => nextEvent(socket, 'session:ended'));
      await publisher.publish('user-logged-out', JSON.stringify(message));
      await publisher.publish('user-logged-out', JSON.stringify(message)); // duplicates are harmless
      expect((await Promise.all(ended)).map((event) => event.reason)).toEqual(['admin_revoke', 'admin_revoke', 'admin_revoke']);
      await Promise.all(alice.sockets[1].map((socket) => disconnected(socket)));
      for (const socket of alice.sockets[0]) expect(socket.connected).toBe(true);
    } finally {
      await publisher.quit();
    }
  });

  /**
   * A gateway reads a socket's admission (command connection) and a `user-logged-out` message (subscriber) on two
   * connections, in no guaranteed order: a socket admitted just before its session ended may connect after the
   * message went by. Played here deterministically: the message comes first while the session still exists (so the
   * admission succeeds), as it would when this node read the message before the admission's reply.
   */
  it('a socket that connects after its session’s user-logged-out message went by is ended at once', async () => {
    const alice = await userOnEveryNode();
    const [tokenSession, cookieSession] = alice.sessions;
    const publisher = cluster.redis.client();
    try {
      const message: UserLoggedOut = { v: 1, id: crypto.randomUUID(), userId: alice.id, sessionIds: [tokenSession.sessionId], reason: 'logout', at: Date.now() };
      const ended = alice.sockets[0].map((socket) => nextEvent(socket, 'session:ended'));
      await publisher.publish('user-logged-out', JSON.stringify(message));
      await Promise.all(ended);

      for (const gateway of cluster.gateways) {
        const events: ReceivedEvent[] = [];
        const late = await connectSocket(gateway.url, { token: tokenSession.accessToken, recordInto: events });
        await disconnected(late);
        expect(events).toEqual([{ event: 'session:ended', payload: { reason: 'logout', sessionId: tokenSession.sessionId } }]);
      }
      // An end of every session of the user covers only sessions that Redis no longer has: these still exist.
      const everySession: UserLoggedOut = { ...message, id: crypto.randomUUID(), sessionIds: null, reason: 'logout_all', at: Date.now() };
      const allEnded = alice.sockets[1].map((socket) => nextEvent(socket, 'session:ended'));
      await publisher.publish('user-logged-out', JSON.stringify(everySession));
      await Promise.all(allEnded);
      const stillAlive = await connectSocket(cluster.gateways[0].url, { cookie: cookieSession.cookie });
      // The node asks Redis whether the session exists when the socket connects; a later command of the same socket
      // is answered after that (one connection, replies in order), so by then the check has been made.
      expect(await stillAlive.emitWithAck('session:set', { key: 'marker', value: 1 })).toEqual({ ok: true });
      expect(stillAlive.connected).toBe(true);
    } finally {
      await publisher.quit();
    }
  });
});
