import {
  ackSchemaOf,
  authRefreshEvent,
  clientEvents,
  connectErrorSchema,
  eventErrorSchema,
  MAX_PAYLOAD_DEPTH,
  serverEvents,
  type Ack,
  type ConnectionView,
  type MeResponse,
  type TokenPair,
} from '@app/contracts';
import type { Socket } from 'socket.io-client';
import { eventually } from '../support/eventually';
import { startCluster, type Cluster, type GatewayNode } from '../support/cluster';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';
import { closeAllSockets, connectError, connectSocket, disconnected, nextEvent, recordEvents, type ClientSocket } from '../support/sockets';

const MAX_VALUE_BYTES = 64;
const MAX_KEYS = 3;
const MAX_MESSAGE_BYTES = 4096;

interface User {
  id: string;
  session: LoggedIn;
}

/** `depth` levels of `wrap` around a number, built without recursion. */
function nested(depth: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = wrap(value);
  return value;
}
const nestedArrays = (depth: number) => nested(depth, (inner) => [inner]);

/** Emits outside the typed contract, for payloads the contract forbids. */
function emitRaw(socket: ClientSocket, event: string, ...args: unknown[]): Promise<Ack> {
  return (socket as unknown as Socket).timeout(5000).emitWithAck(event, ...args) as Promise<Ack>;
}

describe('socket events across 3 gateway processes', () => {
  let cluster: Cluster;
  let admin: LoggedIn;
  let counter = 0;

  beforeAll(async () => {
    cluster = await startCluster({
      gateways: 3,
      gatewayEnv: {
        SESSION_DATA_MAX_VALUE_BYTES: String(MAX_VALUE_BYTES),
        SESSION_DATA_MAX_KEYS: String(MAX_KEYS),
        MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
      },
    });
    admin = await login(cluster.authUrl, 'admin', 'admin-password-for-tests');
  }, 60_000);

  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
  });

  const url = (node: number) => cluster.gateways[node].url;

  async function newUser(): Promise<User> {
    const username = `ev-user-${++counter}`;
    const { id } = await registerUser(cluster.authUrl, username);
    return { id, session: await login(cluster.authUrl, username) };
  }

  /** One socket of `session` on each of the given nodes. */
  const socketsOn = (session: LoggedIn, nodes: number[]) => Promise.all(nodes.map((node) => connectSocket(url(node), { token: session.accessToken })));

  const expectAlive = async (sockets: ClientSocket[]) => {
    for (const socket of sockets) expect((await socket.emitWithAck('whoami')).ok).toBe(true);
  };

  it('whoami answers {ok, userId, sessionId, nodeId, roles} from each node', async () => {
    const alice = await newUser();
    const sockets = await socketsOn(alice.session, [0, 1, 2]);
    const replies = await Promise.all(sockets.map((socket) => socket.emitWithAck('whoami')));
    expect(replies).toEqual(
      ['gw-1', 'gw-2', 'gw-3'].map((nodeId) => ({ ok: true, userId: alice.id, sessionId: alice.session.sessionId, nodeId, roles: ['user'] })),
    );
    const [adminSocket] = await socketsOn(admin, [1]);
    expect(await adminSocket.emitWithAck('whoami')).toMatchObject({ ok: true, userId: admin.user.id, roles: expect.arrayContaining(['admin']) });
  });

  it('dm from gw-1 reaches every socket of the target user on every node, and nobody else', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const bobOtherSession = await login(cluster.authUrl, bob.session.user.username);
    const carol = await newUser();
    const [aliceOnGw1, aliceOnGw2] = await socketsOn(alice.session, [0, 1]);
    const bobSockets = [...(await socketsOn(bob.session, [1, 2])), ...(await socketsOn(bobOtherSession, [2]))];
    const carolSockets = await socketsOn(carol.session, [0, 1, 2]);
    const bystanders = [aliceOnGw1, aliceOnGw2, ...carolSockets].map((socket) => ({ socket, log: recordEvents(socket) }));
    const delivered = bobSockets.map((socket) => nextEvent(socket, 'dm'));

    expect(await aliceOnGw1.emitWithAck('dm', { toUserId: bob.id, text: 'hello bob' })).toEqual({ ok: true });

    for (const payload of await Promise.all(delivered)) expect(payload).toEqual({ fromUserId: alice.id, text: 'hello bob', at: expect.any(Number) });
    // Markers from the same socket, sent after: once they arrive, the dm to bob would have arrived too.
    const markers = bystanders.map(({ socket }) => nextEvent(socket, 'dm'));
    await aliceOnGw1.emitWithAck('dm', { toUserId: carol.id, text: 'marker' });
    await aliceOnGw1.emitWithAck('dm', { toUserId: alice.id, text: 'marker' });
    await Promise.all(markers);
    for (const { log } of bystanders) {
      expect(log).toEqual([{ event: 'dm', payload: { fromUserId: alice.id, text: 'marker', at: expect.any(Number) } }]);
    }
  });

  it('room messages reach the members on every node, not the others; leaving stops delivery', async () => {
    const [alice, bob, carol, dave] = [await newUser(), await newUser(), await newUser(), await newUser()];
    const [aliceSocket] = await socketsOn(alice.session, [0]);
    const [bobSocket] = await socketsOn(bob.session, [1]);
    const [carolSocket] = await socketsOn(carol.session, [2]);
    const [daveSocket] = await socketsOn(dave.session, [1]);
    const members = [aliceSocket, bobSocket, carolSocket];
    for (const socket of members) expect(await socket.emitWithAck('room:join', { room: 'lobby' })).toEqual({ ok: true });
    const daveLog = recordEvents(daveSocket);
    const bobLog = recordEvents(bobSocket);

    const first = members.map((socket) => nextEvent(socket, 'room:message'));
    expect(await aliceSocket.emitWithAck('room:message', { room: 'lobby', text: 'hi all' })).toEqual({ ok: true });
    for (const payload of await Promise.all(first)) {
      expect(payload).toEqual({ room: 'lobby', fromUserId: alice.id, text: 'hi all', at: expect.any(Number) });
    }

    expect(await bobSocket.emitWithAck('room:leave', { room: 'lobby' })).toEqual({ ok: true });
    const second = [aliceSocket, carolSocket].map((socket) => nextEvent(socket, 'room:message'));
    expect(await aliceSocket.emitWithAck('room:message', { room: 'lobby', text: 'bob left' })).toEqual({ ok: true });
    expect((await Promise.all(second)).map((payload) => payload.text)).toEqual(['bob left', 'bob left']);

    const markers = [bobSocket, daveSocket].map((socket) => nextEvent(socket, 'dm'));
    await aliceSocket.emitWithAck('dm', { toUserId: bob.id, text: 'marker' });
    await aliceSocket.emitWithAck('dm', { toUserId: dave.id, text: 'marker' });
    await Promise.all(markers);
    expect(daveLog.map(({ event }) => event)).toEqual(['dm']);
    expect(bobLog.map(({ event, payload }) => [event, (payload as { text: string }).text])).toEqual([
      ['room:message', 'hi all'],
      ['dm', 'marker'],
    ]);
  });

  it('a message to a room the socket has not joined is FORBIDDEN, and the socket stays', async () => {
    const [alice, dave] = [await newUser(), await newUser()];
    const [aliceSocket] = await socketsOn(alice.session, [0]);
    const [daveSocket] = await socketsOn(dave.session, [2]);
    await aliceSocket.emitWithAck('room:join', { room: 'private' });

    expect(await daveSocket.emitWithAck('room:message', { room: 'private', text: 'let me in' })).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', message: expect.any(String) },
    });
    expect(daveSocket.connected).toBe(true);
    await expectAlive([daveSocket]);
  });

  it.each([
    ['dm to a malformed user id', 'dm', { toUserId: 'not-a-uuid', text: 'hi' }],
    ['dm of blank text', 'dm', { toUserId: crypto.randomUUID(), text: '   ' }],
    ['dm of 2001 characters', 'dm', { toUserId: crypto.randomUUID(), text: 'x'.repeat(2001) }],
    ['dm with an unknown field', 'dm', { toUserId: crypto.randomUUID(), text: 'hi', extra: true }],
    ['dm of a string', 'dm', 'just a string'],
    ['dm of null', 'dm', null],
    ['room:join of a bad room name', 'room:join', { room: 'spaces are not allowed' }],
    ['room:join without a room', 'room:join', {}],
    ['room:leave of a 65-character room name', 'room:leave', { room: 'x'.repeat(65) }],
    ['room:message without text', 'room:message', { room: 'lobby' }],
    ['session:set of a bad key', 'session:set', { key: 'bad key', value: 1 }],
    ['session:set without a value', 'session:set', { key: 'theme' }],
    ['session:set of an array', 'session:set', [1, 2, 3]],
  ])('%s is INVALID_INPUT and the socket stays connected', async (_label, event, payload) => {
    const alice = await newUser();
    const [socket] = await socketsOn(alice.session, [1]);
    expect(await emitRaw(socket, event, payload)).toEqual({ ok: false, error: { code: 'INVALID_INPUT', message: expect.any(String) } });
    expect(socket.connected).toBe(true);
    await expectAlive([socket]);
  });

  it('an invalid event sent without an ack is answered with an `exception` event', async () => {
    const alice = await newUser();
    const [socket] = await socketsOn(alice.session, [2]);
    const exception = new Promise<unknown>((resolve) => (socket as unknown as Socket).once('exception', resolve));
    (socket as unknown as Socket).emit('dm', { toUserId: 'nobody' });
    expect(await exception).toEqual({ code: 'INVALID_INPUT', message: expect.any(String) });
    await expectAlive([socket]);
  });

  it('valid events sent without an ack take effect like acknowledged ones (room:join, room:message, dm)', async () => {
    const [alice, bob] = [await newUser(), await newUser()];
    const [aliceSocket] = await socketsOn(alice.session, [0]);
    const [bobSocket] = await socketsOn(bob.session, [1]);
    const bobLog = recordEvents(bobSocket);
    bobSocket.emit('room:join', { room: 'no-ack' });
    expect(await aliceSocket.emitWithAck('room:join', { room: 'no-ack' })).toEqual({ ok: true });
    // Bob's join has no answer to wait for: Alice's messages go out until one of them reaches him.
    await eventually(async () => {
      aliceSocket.emit('room:message', { room: 'no-ack', text: 'unacknowledged' });
      await nextEvent(bobSocket, 'room:message', 500);
    }, 10_000, 0);
    aliceSocket.emit('dm', { toUserId: bob.id, text: 'unacknowledged dm' });
    expect(await nextEvent(bobSocket, 'dm')).toMatchObject({ fromUserId: alice.id, text: 'unacknowledged dm' });
    expect(bobLog.filter(({ event }) => event === 'exception')).toEqual([]);
    await expectAlive([aliceSocket, bobSocket]);
  });

  describe(`payloads nested deeper than ${MAX_PAYLOAD_DEPTH} levels`, () => {
    // The default MAX_MESSAGE_BYTES (16 KB) holds 8000 levels of `[]`: a node with this suite's 4 KB limit would
    // close the connection before the payload reached any code.
    let deepNode: GatewayNode;
    beforeAll(async () => {
      deepNode = await cluster.startGateway('gw-16k', { MAX_MESSAGE_BYTES: '16384' });
    });

    it('session:set of values nested thousands deep: INVALID_INPUT, one warning line each and no stack trace; the socket and the node carry on', async () => {
      const alice = await newUser();
      const socket = await connectSocket(deepNode.url, { token: alice.session.accessToken });
      const gateway = deepNode.process;
      const logged = gateway.logs().length;

      for (const value of [nestedArrays(3000), nested(2000, (inner) => ({ a: inner }))]) {
        expect(await emitRaw(socket, 'session:set', { key: 'deep', value })).toEqual({ ok: false, error: { code: 'INVALID_INPUT', message: expect.any(String) } });
      }
      // Without an ack the refusal comes as an `exception` event, as for any invalid event.
      const exception = new Promise<unknown>((resolve) => (socket as unknown as Socket).once('exception', resolve));
      (socket as unknown as Socket).emit('session:set', { key: 'deep', value: nestedArrays(3000) });
      expect(await exception).toEqual({ code: 'INVALID_INPUT', message: expect.any(String) });

      const ownLine = new RegExp(`"socketId":"${socket.id}"`);
      await eventually(() => expect(gateway.logs().slice(logged).split('\n').filter((line) => ownLine.test(line))).toHaveLength(3));
      const lines = gateway.logs().slice(logged).split('\n').filter((line) => ownLine.test(line));
      for (const line of lines) {
        expect(JSON.parse(line)).toMatchObject({ level: 40, event: 'session:set', socketId: socket.id, userId: alice.id, maxDepth: MAX_PAYLOAD_DEPTH });
      }
      expect(gateway.logs().slice(logged)).not.toMatch(/RangeError|call stack|\\n\s+at /);

      expect(socket.connected).toBe(true);
      await expectAlive([socket]);
      expect(await socket.emitWithAck('session:get')).toEqual({ ok: true, data: {} });
      expect(await socket.emitWithAck('session:set', { key: 'after', value: [1, [2]] })).toEqual({ ok: true });
      expect((await request(deepNode.url, 'GET', '/health')).status).toBe(200);
    });

    it(`holds for every event: ${MAX_PAYLOAD_DEPTH} levels pass, one more is INVALID_INPUT before any validation`, async () => {
      const alice = await newUser();
      const socket = await connectSocket(deepNode.url, { token: alice.session.accessToken });

      // The payload object is level 1, so its value may nest one level less.
      expect(await emitRaw(socket, 'session:set', { key: 'edge', value: nestedArrays(MAX_PAYLOAD_DEPTH - 1) })).toEqual({ ok: true });
      expect(await emitRaw(socket, 'session:set', { key: 'edge', value: nestedArrays(MAX_PAYLOAD_DEPTH) })).toEqual({
        ok: false,
        error: { code: 'INVALID_INPUT', message: expect.any(String) },
      });
      // Even an event that takes no payload: the argument is refused before its handler runs.
      expect(await emitRaw(socket, 'whoami', nestedArrays(MAX_PAYLOAD_DEPTH + 1))).toEqual({ ok: false, error: { code: 'INVALID_INPUT', message: expect.any(String) } });
      expect(await emitRaw(socket, 'dm', { toUserId: alice.id, text: 'deep', extra: nestedArrays(3000) })).toEqual({
        ok: false,
        error: { code: 'INVALID_INPUT', message: expect.any(String) },
      });
      await expectAlive([socket]);
    });
  });

  it('admin:stats: a non-admin gets FORBIDDEN and keeps the socket; an admin gets the node stats', async () => {
    const alice = await newUser();
    const [aliceSocket] = await socketsOn(alice.session, [1]);
    const [adminSocket] = await socketsOn(admin, [1]);

    expect(await aliceSocket.emitWithAck('admin:stats')).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(aliceSocket.connected).toBe(true);
    await expectAlive([aliceSocket]);

    const stats = await adminSocket.emitWithAck('admin:stats');
    expect(stats).toEqual({ ok: true, nodeId: 'gw-2', connections: expect.any(Number) });
    expect((stats as { connections: number }).connections).toBeGreaterThanOrEqual(2);
  });

  describe('session data', () => {
    const me = async (session: LoggedIn) => (await request<MeResponse>(cluster.authUrl, 'GET', '/auth/me', { headers: bearer(session.accessToken) })).body;

    it('session:set on gw-1 is persisted, pushed to the session’s sockets on other nodes, and seen over HTTP', async () => {
      const alice = await newUser();
      const otherSession = await login(cluster.authUrl, alice.session.user.username);
      const [onGw1, onGw2, onGw3] = await socketsOn(alice.session, [0, 1, 2]);
      const [otherSessionSocket] = await socketsOn(otherSession, [1]);
      const otherLog = recordEvents(otherSessionSocket);
      const pushed = [onGw1, onGw2, onGw3].map((socket) => nextEvent(socket, 'session:data'));

      expect(await onGw1.emitWithAck('session:set', { key: 'theme', value: { dark: true, size: 14 } })).toEqual({ ok: true });

      expect(await Promise.all(pushed)).toEqual([0, 1, 2].map(() => ({ key: 'theme', value: { dark: true, size: 14 } })));
      // The event arrived after the other nodes applied the change, so reading it there right away sees it.
      expect(await onGw3.emitWithAck('session:get')).toEqual({ ok: true, data: { theme: { dark: true, size: 14 } } });
      expect(await onGw2.emitWithAck('session:get')).toEqual({ ok: true, data: { theme: { dark: true, size: 14 } } });
      expect((await me(alice.session)).sessionData).toEqual({ theme: { dark: true, size: 14 } });

      // Another session of the same user neither sees nor receives it.
      const marker = nextEvent(otherSessionSocket, 'dm');
      await onGw1.emitWithAck('dm', { toUserId: alice.id, text: 'marker' });
      await marker;
      expect(otherLog.map(({ event }) => event)).toEqual(['dm']);
      expect(await otherSessionSocket.emitWithAck('session:get')).toEqual({ ok: true, data: {} });
      expect((await me(otherSession)).sessionData).toEqual({});

      // A socket of the session that connects later loads it from Redis.
      const [late] = await socketsOn(alice.session, [2]);
      expect(await late.emitWithAck('session:get')).toEqual({ ok: true, data: { theme: { dark: true, size: 14 } } });
    });

    it('a value’s `__proto__` keys are dropped alike from what is stored, pushed and read back', async () => {
      const alice = await newUser();
      const [onGw1, onGw2] = await socketsOn(alice.session, [0, 1]);
      const pushed = nextEvent(onGw2, 'session:data');
      // JSON.parse makes `__proto__` an own key, which the client sends like any other.
      const value = JSON.parse('{"__proto__":{"polluted":true},"kept":1}') as Record<string, unknown>;

      expect(await onGw1.emitWithAck('session:set', { key: 'proto', value })).toEqual({ ok: true });

      expect(await pushed).toEqual({ key: 'proto', value: { kept: 1 } });
      expect(Object.keys((await me(alice.session)).sessionData.proto as object)).toEqual(['kept']);
      const [late] = await socketsOn(alice.session, [2]);
      const loaded = await late.emitWithAck('session:get');
      expect(loaded.ok && Object.keys(loaded.data.proto as object)).toEqual(['kept']);
    });

    it(`refuses a value over ${MAX_VALUE_BYTES} bytes of JSON with PAYLOAD_TOO_LARGE and stores nothing`, async () => {
      const alice = await newUser();
      const [onGw1, onGw2] = await socketsOn(alice.session, [0, 1]);
      const atLimit = 'x'.repeat(MAX_VALUE_BYTES - 2); // the JSON string adds two quotes

      expect(await onGw1.emitWithAck('session:set', { key: 'note', value: atLimit })).toEqual({ ok: true });
      expect(await onGw1.emitWithAck('session:set', { key: 'note', value: `${atLimit}x` })).toEqual({
        ok: false,
        error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) },
      });
      expect(await onGw2.emitWithAck('session:set', { key: 'other', value: 'é'.repeat(MAX_VALUE_BYTES / 2) })).toMatchObject({
        ok: false,
        error: { code: 'PAYLOAD_TOO_LARGE' },
      });
      expect((await me(alice.session)).sessionData).toEqual({ note: atLimit });
      expect(await onGw2.emitWithAck('session:get')).toEqual({ ok: true, data: { note: atLimit } });
      await expectAlive([onGw1, onGw2]);
    });

    it(`refuses a key beyond ${MAX_KEYS} with PAYLOAD_TOO_LARGE; existing keys can still be changed`, async () => {
      const alice = await newUser();
      const [onGw1, onGw3] = await socketsOn(alice.session, [0, 2]);
      for (let index = 1; index <= MAX_KEYS; index++) {
        expect(await onGw1.emitWithAck('session:set', { key: `k${index}`, value: index })).toEqual({ ok: true });
      }

      expect(await onGw3.emitWithAck('session:set', { key: 'one-too-many', value: 0 })).toEqual({
        ok: false,
        error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) },
      });
      expect(await onGw3.emitWithAck('session:set', { key: 'k1', value: 'changed' })).toEqual({ ok: true });
      expect((await me(alice.session)).sessionData).toEqual({ k1: 'changed', k2: 2, k3: 3 });
    });
  });

  it(`a message over MAX_MESSAGE_BYTES (${MAX_MESSAGE_BYTES}) closes only that socket; the node and its other sockets stay`, async () => {
    const alice = await newUser();
    const bob = await newUser();
    const [offender, sibling] = await socketsOn(alice.session, [1, 1]);
    const [bobSocket] = await socketsOn(bob.session, [1]);
    const bobLog = recordEvents(bobSocket);
    const gone = disconnected(offender);

    // A valid dm by the contract (2000 characters), but 6000 bytes of UTF-8 on the wire.
    offender.emit('dm', { toUserId: bob.id, text: '€'.repeat(2000) });

    expect(await gone).toMatch(/^transport (close|error)$/);
    await expectAlive([sibling, bobSocket]);
    const marker = nextEvent(bobSocket, 'dm');
    await sibling.emitWithAck('dm', { toUserId: bob.id, text: 'marker' });
    await marker;
    expect(bobLog.map(({ payload }) => (payload as { text: string }).text)).toEqual(['marker']);
    expect((await request(url(1), 'GET', '/health')).status).toBe(200);
    await eventually(async () => {
      const connections = await request<ConnectionView[]>(cluster.authUrl, 'GET', `/admin/users/${alice.id}/connections`, { headers: bearer(admin.accessToken) });
      expect(connections.body.map((connection) => connection.socketId)).toEqual([sibling.id]);
    });
    // The node still accepts new sockets.
    await expectAlive(await socketsOn(alice.session, [1]));
  });

  it('sends and acknowledges what docs/asyncapi.json says: every payload parses with the schemas the document is generated from', async () => {
    const alice = await newUser();
    const bob = await newUser();
    const [aliceSocket, aliceSibling] = await socketsOn(alice.session, [0, 1]);
    const [bobSocket] = await socketsOn(bob.session, [2]);
    const [adminSocket] = await socketsOn(admin, [1]);
    const logs = [aliceSocket, aliceSibling, bobSocket].map((socket) => recordEvents(socket));
    const issues = (schema: { safeParse(value: unknown): { error?: { issues: unknown[] } } }, value: unknown) => schema.safeParse(value).error?.issues ?? [];

    const dmToBob = nextEvent(bobSocket, 'dm');
    const dataOnSibling = nextEvent(aliceSibling, 'session:data');
    const roomMessage = nextEvent(bobSocket, 'room:message');
    const acks = {
      whoami: await aliceSocket.emitWithAck('whoami'),
      dm: await aliceSocket.emitWithAck('dm', { toUserId: bob.id, text: 'hi' }),
      'room:join': await bobSocket.emitWithAck('room:join', { room: 'contract' }),
      'room:message': await bobSocket.emitWithAck('room:message', { room: 'contract', text: 'hello' }),
      'room:leave': await bobSocket.emitWithAck('room:leave', { room: 'contract' }),
      'session:set': await aliceSocket.emitWithAck('session:set', { key: 'theme', value: { dark: [true, 1, null] } }),
      'session:get': await aliceSocket.emitWithAck('session:get'),
      'admin:stats': await adminSocket.emitWithAck('admin:stats'),
    } satisfies Record<keyof typeof clientEvents, unknown>;
    const refused = await aliceSocket.emitWithAck('admin:stats');
    const fresh = await request<TokenPair>(cluster.authUrl, 'POST', '/auth/refresh', { json: { refreshToken: alice.session.refreshToken } });
    const refreshed = await aliceSocket.emitWithAck('auth:refresh', { token: fresh.body.accessToken });
    await Promise.all([dmToBob, dataOnSibling, roomMessage]);
    const exception = new Promise<unknown>((resolve) => (bobSocket as unknown as Socket).once('exception', resolve));
    bobSocket.emit('room:join', { room: 'not a room name!' });
    await exception;
    const ended = nextEvent(bobSocket, 'session:ended');
    await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(bob.session.accessToken) });
    await ended;
    const refusal = await connectError(url(0), { token: 'not-a-token' });

    expect(Object.entries(acks).flatMap(([name, ack]) => issues(ackSchemaOf(clientEvents[name as keyof typeof clientEvents]), ack))).toEqual([]);
    expect({ refused: refused.ok, refreshed: refreshed.ok }).toEqual({ refused: false, refreshed: true });
    expect([...issues(ackSchemaOf(clientEvents['admin:stats']), refused), ...issues(ackSchemaOf(authRefreshEvent), refreshed)]).toEqual([]);
    expect(issues(connectErrorSchema, { message: refusal.message, data: refusal.data })).toEqual([]);
    const received = logs.flat();
    const events = new Set(received.map(({ event }) => event));
    expect([...events].sort()).toEqual(expect.arrayContaining(['dm', 'exception', 'room:message', 'session:data', 'session:ended']));
    const schemaOf = (event: string) => (event === 'exception' ? eventErrorSchema : serverEvents[event as keyof typeof serverEvents]);
    expect(received.filter(({ event, payload }) => !schemaOf(event) || issues(schemaOf(event), payload).length > 0)).toEqual([]);
  });
});
