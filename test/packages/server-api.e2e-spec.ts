import {
  createSessionwire,
  JwksUnavailableError,
  SessionwireAttachError,
  SessionwireRedisUnreachableError,
  type Sessionwire,
  type SessionwireSocketData,
} from '@sessionwire/server';
import { Redis } from 'ioredis';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as RawClientSocket } from 'socket.io-client';
import { WebSocketServer, type ServerOptions as WsServerOptions } from 'ws';
import { startAuthApp, type AuthApp } from '../support/auth-app';
import { TEST_ORIGIN } from '../support/cluster';
import { eventually } from '../support/eventually';
import { freePort } from '../support/free-port';
import { bearer, login, registerUser, request } from '../support/http';
import { closeAllRawSocketIo, openRawSocketIo } from '../support/raw-socket-io';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { closeAllSockets, connectError, connectSocket } from '../support/sockets';

/**
 * @sessionwire/server's handle in-process, on a Socket.IO server of the test's own, against a real redis-server and
 * the real auth service: what the example's two processes do not show (namespaces, metrics, the app's own
 * allowRequest, close()).
 */
describe('@sessionwire/server on an app-owned Socket.IO server and Redis client', () => {
  let redis: RedisServer;
  let auth: AuthApp;
  let appRedis: Redis;
  let metrics: Registry;
  let wire: Sessionwire;
  let httpServer: HttpServer;
  let io: Server<Record<string, never>, Record<string, never>, Record<string, never>, SessionwireSocketData>;
  let url: string;
  const appAllowRequest = (request: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void) => {
    if (request.headers['x-app-block'] === 'yes') callback('APP_REFUSED', false);
    else callback(null, true);
  };
  /** The app's own WebSocket protocol choice, through its own `wsEngine` (engine.io makes one per `listen`). */
  const appHandleProtocols = (protocols: Set<string>) => (protocols.has('chat.v2') ? 'chat.v2' : false);
  class AppWsServer extends WebSocketServer {
    constructor(options: WsServerOptions) {
      super({ ...options, handleProtocols: appHandleProtocols });
    }
  }
  const engineWs = () => (io.engine as unknown as { ws: { options: { handleProtocols?: unknown } } }).ws;
  const rawSockets: RawClientSocket[] = [];
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  let counter = 0;

  beforeAll(async () => {
    redis = await startRedisServer();
    auth = await startAuthApp(redis.url);
    appRedis = new Redis(redis.url);
    metrics = new Registry();
    wire = await createSessionwire({
      redis: appRedis,
      nodeId: 'in-process-1',
      allowedOrigins: [TEST_ORIGIN],
      accessTokens: { jwksUrl: `${auth.baseUrl}/.well-known/jwks.json`, issuer: 'sessionwire-auth', audience: 'sessionwire' },
      metrics: { registry: metrics },
      logger: silent,
    });
    httpServer = createServer();
    io = new Server(httpServer, { allowRequest: appAllowRequest, wsEngine: AppWsServer });
    // One namespace the app made before attach, one after: both ride on the main namespace's session.
    io.of('/before').on('connection', (socket) => socket.on('whoami', (ack: (userId: string) => void) => ack(socket.data.userId)));
    wire.attach(io);
    io.on('connection', (socket) => socket.on('handshakeAuth', (ack: (auth: Record<string, unknown>) => void) => ack(socket.handshake.auth)));
    io.of('/after').on('connection', (socket) => socket.on('whoami', (ack: (userId: string) => void) => ack(socket.data.userId)));
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    closeAllSockets();
    for (const socket of rawSockets.splice(0)) socket.close();
    closeAllRawSocketIo();
  });

  afterAll(async () => {
    await wire?.close();
    await io?.close();
    await appRedis?.quit();
    await auth?.close();
    await redis?.cleanup();
  });

  async function newSession() {
    const { id, username } = await registerUser(auth.baseUrl, `server-api-user-${++counter}`);
    return { userId: id, session: await login(auth.baseUrl, username) };
  }

  /** A main-namespace socket and, on the same connection, one in `namespace`. */
  function namespaceSocket(token: string | undefined, namespace: string, withMain: boolean): { main?: RawClientSocket; other: RawClientSocket } {
    const options = { transports: ['websocket'], reconnection: false, forceNew: true, auth: token ? { token } : {}, extraHeaders: { origin: TEST_ORIGIN } };
    const main = withMain ? connectClient(url, options) : undefined;
    const other = main ? main.io.socket(namespace, { auth: {} }) : connectClient(`${url}${namespace}`, options);
    if (main) rawSockets.push(main);
    rawSockets.push(other);
    return { main, other };
  }

  function connected(socket: RawClientSocket): Promise<void> {
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
      socket.connect();
    });
  }

  it("the app's other namespaces share the main socket's session (created before or after attach); alone they are refused; a logout closes them too", async () => {
    const { userId, session } = await newSession();
    for (const namespace of ['/before', '/after']) {
      const { main, other } = namespaceSocket(session.accessToken, namespace, true);
      await connected(main!);
      await connected(other);
      expect(await other.timeout(5000).emitWithAck('whoami')).toBe(userId);
    }
    for (const namespace of ['/before', '/after']) {
      const { other } = namespaceSocket(session.accessToken, namespace, false);
      const refused = await connected(other).then(
        () => undefined,
        (error: Error & { data?: { code: string } }) => error.data?.code,
      );
      expect(refused).toBe('UNAUTHORIZED');
    }

    const { main, other } = namespaceSocket(session.accessToken, '/before', true);
    await connected(main!);
    await connected(other);
    const gone = new Promise((resolve) => other.once('disconnect', resolve));
    expect((await request(auth.baseUrl, 'POST', '/auth/logout', { headers: bearer(session.accessToken) })).status).toBe(204);
    expect(await gone).toBeDefined();
  });

  it("keeps no copy of the verified auth.token in socket.handshake.auth for the app's handlers; the client's other auth fields stay", async () => {
    const { session } = await newSession();
    const socket = connectClient(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: session.accessToken, locale: 'fr' }, extraHeaders: { origin: TEST_ORIGIN } });
    rawSockets.push(socket);
    await connected(socket);
    expect(await socket.timeout(5000).emitWithAck('handshakeAuth')).toEqual({ locale: 'fr' });
  });

  it('refuses an auth.token longer than 16384 characters before decoding it (the message limit here is the default 1 MB)', async () => {
    const { session } = await newSession();
    const oversized = `${session.accessToken}${'a'.repeat(16_385 - session.accessToken.length)}`;
    const refusal = { code: 'UNAUTHORIZED', message: 'The access token is longer than 16384 characters' };
    expect((await connectError(url, { token: oversized })).data).toEqual(refusal);
    // At the limit it is decoded (and refused for its forged signature, not its length).
    const atLimit = await connectError(url, { token: oversized.slice(0, 16_384) });
    expect(atLimit.data?.code).toBe('UNAUTHORIZED');
    expect(atLimit.data?.message).not.toBe(refusal.message);
  });

  it('counts handshakes and connected sockets on the registry the app passed, under the gateway metric names', async () => {
    const { session } = await newSession();
    await connectSocket(url, { token: session.accessToken });
    await connectError(url, { token: 'not-a-token' });

    const handshakes = await metrics.getSingleMetricAsString('sessionwire_gateway_handshakes_total');
    expect(handshakes).toMatch(/sessionwire_gateway_handshakes_total\{result="accepted"\} [1-9]/);
    expect(handshakes).toMatch(/sessionwire_gateway_handshakes_total\{result="UNAUTHORIZED"\} [1-9]/);
    expect(await metrics.getSingleMetricAsString('sessionwire_gateway_connected_sockets')).toMatch(/sessionwire_gateway_connected_sockets [1-9]/);
    expect(metrics.getSingleMetric('sessionwire_gateway_logout_propagation_seconds')).toBeDefined();
    expect(metrics.getSingleMetric('sessionwire_gateway_forced_disconnects_total')).toBeDefined();
  });

  it("runs the app's own allowRequest after the Origin check", async () => {
    const { session } = await newSession();
    expect((await connectError(url, { token: session.accessToken, transport: 'polling', headers: { 'x-app-block': 'yes' } })).message).toBe('xhr poll error');
    const foreign = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'http://evil.test' } });
    expect(await foreign.json()).toMatchObject({ message: 'ORIGIN_NOT_ALLOWED' });
    const blocked = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: TEST_ORIGIN, 'x-app-block': 'yes' } });
    expect(await blocked.json()).toMatchObject({ message: 'APP_REFUSED' });
    expect((await connectSocket(url, { token: session.accessToken })).connected).toBe(true);
  });

  it("answers sessionwire.v1 to the Sec-WebSocket-Protocol carrier, and the app's own handleProtocols the rest, never with a token", async () => {
    const { userId, session } = await newSession();
    const carrier = await openRawSocketIo(url, [`sessionwire.bearer.${session.accessToken}`, 'chat.v2', 'sessionwire.v1']);
    expect(carrier.selectedProtocol).toBe('sessionwire.v1');
    expect(await carrier.connect()).toEqual({ type: 'connect', sid: expect.any(String) });
    expect(wire.localSockets().all().map((socket) => socket.data.userId)).toContain(userId);
    expect((await openRawSocketIo(url, ['chat.v1', 'chat.v2'])).selectedProtocol).toBe('chat.v2');
    expect((await openRawSocketIo(url, [`sessionwire.bearer.${session.accessToken}`, 'chat.v2'])).selectedProtocol).toBe('chat.v2');
  });

  it('fails createSessionwire with a named error when the JWKS cannot be loaded, leaving no connection of its own behind', async () => {
    const attempt = createSessionwire({
      redis: redis.url,
      nodeId: 'no-jwks',
      allowedOrigins: [TEST_ORIGIN],
      accessTokens: { jwksUrl: `http://127.0.0.1:${await freePort()}/.well-known/jwks.json`, issuer: 'sessionwire-auth', audience: 'sessionwire', jwksWaitMs: 300 },
      logger: silent,
    });
    await expect(attempt).rejects.toThrow(JwksUnavailableError);
    await expect(attempt).rejects.toThrow(/accessTokens\.jwksUrl=.*accessTokens\.jwksWaitMs=300/);
    await eventually(async () => expect(await appRedis.client('LIST')).not.toContain('name=sessionwire:no-jwks'));
  });

  it('fails createSessionwire with a named error when Redis does not answer', async () => {
    const attempt = createSessionwire({
      redis: `redis://127.0.0.1:${await freePort()}`,
      allowedOrigins: [TEST_ORIGIN],
      accessTokens: { jwksUrl: `${auth.baseUrl}/.well-known/jwks.json`, issuer: 'sessionwire-auth', audience: 'sessionwire' },
      logger: silent,
    });
    await expect(attempt).rejects.toThrow(SessionwireRedisUnreachableError);
    await expect(attempt).rejects.toThrow(/check the redis option/);
  });

  // Last: it closes the handle.
  it('close(): handshakes refused UNAVAILABLE, the app keeps its Redis client, its allowRequest and handleProtocols, attach refused', async () => {
    const { session } = await newSession();
    const socket = await connectSocket(url, { token: session.accessToken });
    expect(wire.ready()).toBe(true);
    expect(() => wire.attach(io)).toThrow(SessionwireAttachError);

    await wire.close();

    expect(wire.ready()).toBe(false);
    expect(appRedis.status).toBe('ready');
    expect(io.engine.opts.allowRequest).toBe(appAllowRequest);
    expect(engineWs().options.handleProtocols).toBe(appHandleProtocols);
    const refused = await connectError(url, { token: session.accessToken });
    expect(refused.data?.code).toBe('UNAVAILABLE');
    expect(() => wire.attach(io)).toThrow(SessionwireAttachError);
    // Sockets already connected are the app's to close.
    expect(socket.connected).toBe(true);
  });
});
