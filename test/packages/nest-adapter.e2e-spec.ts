import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, type OnGatewayDisconnect } from '@nestjs/websockets';
import { SessionwireIoAdapter, SessionwireModule } from '@sessionwire/nest';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'socket.io';
import type { Socket as RawClientSocket } from 'socket.io-client';
import { startAuthApp, type AuthApp } from '../support/auth-app';
import { TEST_ORIGIN } from '../support/cluster';
import { eventually } from '../support/eventually';
import { login, registerUser } from '../support/http';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { closeAllSockets, connectError, connectSocket } from '../support/sockets';

/** What each gateway's handlers saw, in order. */
@Injectable()
class Seen {
  readonly calls: Array<{ gateway: string; event: string; data: unknown }> = [];
  readonly disconnects: string[] = [];
}

@WebSocketGateway()
class FirstGateway implements OnGatewayDisconnect {
  constructor(private readonly seen: Seen) {}

  @SubscribeMessage('shared')
  shared(@MessageBody() data: unknown): string {
    this.seen.calls.push({ gateway: 'first', event: 'shared', data });
    return 'first';
  }

  @SubscribeMessage('no-args')
  noArgs(@MessageBody() data: unknown): string {
    this.seen.calls.push({ gateway: 'first', event: 'no-args', data });
    return 'done';
  }

  handleDisconnect(socket: Socket): void {
    this.seen.disconnects.push(`first:${socket.id}`);
  }
}

/** On the same namespace as FirstGateway, with one event of the same name. */
@WebSocketGateway()
class SecondGateway implements OnGatewayDisconnect {
  constructor(private readonly seen: Seen) {}

  @SubscribeMessage('shared')
  shared(@MessageBody() data: unknown, @ConnectedSocket() socket: Socket): void {
    this.seen.calls.push({ gateway: 'second', event: 'shared', data });
    socket.emit('second-saw', data);
  }

  @SubscribeMessage('own')
  own(@MessageBody() data: unknown): string {
    this.seen.calls.push({ gateway: 'second', event: 'own', data });
    return 'second';
  }

  handleDisconnect(socket: Socket): void {
    this.seen.disconnects.push(`second:${socket.id}`);
  }
}

/** Alone on `/admin`: the first (only) gateway there, with an event named like one of `/`'s. */
@WebSocketGateway({ namespace: '/admin' })
class AdminGateway {
  @SubscribeMessage('shared')
  shared(): string {
    return 'admin';
  }
}

/** On dynamic child namespaces (`/tenant-1`, `/tenant-2`, …), created as clients connect to them. */
@WebSocketGateway({ namespace: /^\/tenant-\d+$/ })
class TenantGateway {
  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() socket: Socket): string {
    return `${socket.nsp.name}:${(socket.data as { userId: string }).userId}`;
  }
}

/**
 * @sessionwire/nest's adapter binding an app's gateways as Nest itself does: several gateways on one namespace each
 * get their events (also one they share), and the payload reaches a handler as Nest's own binding passes it.
 */
describe('SessionwireIoAdapter with two gateways on one namespace', () => {
  let redis: RedisServer;
  let auth: AuthApp;
  let app: INestApplication;
  let adapter: SessionwireIoAdapter;
  let seen: Seen;
  let url: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    auth = await startAuthApp(redis.url);
    const moduleRef = await Test.createTestingModule({
      imports: [
        SessionwireModule.forRoot({
          redis: redis.url,
          nodeId: 'nest-adapter-1',
          allowedOrigins: [TEST_ORIGIN],
          accessTokens: { jwksUrl: `${auth.baseUrl}/.well-known/jwks.json`, issuer: 'sessionwire-auth', audience: 'sessionwire' },
          logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        }),
      ],
      providers: [Seen, FirstGateway, SecondGateway, AdminGateway, TenantGateway],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    adapter = new SessionwireIoAdapter(app, { adapter: false });
    app.useWebSocketAdapter(adapter);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    seen = app.get(Seen);
  });

  afterEach(() => closeAllSockets());
  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await redis?.cleanup();
  });

  async function connected(): Promise<RawClientSocket> {
    const { id, username } = await registerUser(auth.baseUrl, `nest-adapter-${Math.random().toString(36).slice(2)}`);
    expect(id).toBeTruthy();
    const { accessToken } = await login(auth.baseUrl, username);
    const socket = (await connectSocket(url, { token: accessToken })) as unknown as RawClientSocket;
    return Object.assign(socket, { userId: id });
  }

  /** A socket of `namespace` on the main socket's connection (it rides on that socket's session). */
  function namespaceSocket(main: RawClientSocket, namespace: string): Promise<RawClientSocket> {
    const socket = main.io.socket(namespace);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }

  it('runs the handler of every gateway for an event both subscribe to, each with its own reply', async () => {
    const socket = await connected();
    const secondSaw = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no second-saw within 5 s')), 5000);
      socket.once('second-saw', (data: unknown) => {
        clearTimeout(timer);
        resolve(data);
      });
    });
    const ack = await socket.timeout(5000).emitWithAck('shared', { n: 1 });
    expect(ack).toBe('first');
    expect(await secondSaw).toEqual({ n: 1 });
    const shared = seen.calls.filter((call) => call.event === 'shared');
    expect(shared).toHaveLength(2);
    expect(shared).toEqual(
      expect.arrayContaining([
        { gateway: 'first', event: 'shared', data: { n: 1 } },
        { gateway: 'second', event: 'shared', data: { n: 1 } },
      ]),
    );
  });

  it('runs an event only one gateway subscribes to, and both gateways hear the disconnect', async () => {
    const socket = await connected();
    const id = socket.id;
    expect(await socket.timeout(5000).emitWithAck('own', 'x')).toBe('second');
    socket.disconnect();
    await eventually(() => expect(seen.disconnects.filter((entry) => entry.endsWith(`:${id}`)).sort()).toEqual([`first:${id}`, `second:${id}`]));
  });

  it('passes an event sent with no arguments and no ack to its handler as no data, as Nest does', async () => {
    const socket = await connected();
    socket.emit('no-args');
    await eventually(() => expect(seen.calls.filter((call) => call.event === 'no-args')).toEqual([{ gateway: 'first', event: 'no-args', data: undefined }]));
    expect(await socket.timeout(5000).emitWithAck('no-args')).toBe('done');
  });

  it('keeps its table of handled events as it was however many dynamic namespaces clients open', async () => {
    const main = await connected();
    const { userId } = main as RawClientSocket & { userId: string };
    const slotCount = () => Reflect.get(adapter, 'slotCount') as number;
    const first = await namespaceSocket(main, '/tenant-0');
    expect(await first.timeout(5000).emitWithAck('whoami')).toBe(`/tenant-0:${userId}`);
    const slotsAfterFirst = slotCount();
    for (let tenant = 1; tenant <= 20; tenant++) {
      const socket = await namespaceSocket(main, `/tenant-${tenant}`);
      expect(await socket.timeout(5000).emitWithAck('whoami')).toBe(`/tenant-${tenant}:${userId}`);
      socket.disconnect();
    }
    expect(slotCount()).toBe(slotsAfterFirst);
    // Alone on its connection, a dynamic namespace's socket is refused like any other namespace's.
    expect((await connectError(`${url}/tenant-99`)).data?.code).toBe('UNAUTHORIZED');
  });

  it("calls each namespace's own handler for an event named alike in both", async () => {
    const main = await connected();
    const admin = await namespaceSocket(main, '/admin');
    expect(await admin.timeout(5000).emitWithAck('shared', { n: 2 })).toBe('admin');
    expect(await main.timeout(5000).emitWithAck('shared', { n: 3 })).toBe('first');
    expect(seen.calls.filter((call) => call.event === 'shared' && (call.data as { n: number }).n === 2)).toEqual([]);
  });
});
