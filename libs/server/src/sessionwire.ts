import { CredentialVerifier } from '@app/authentication';
import { USER_LOGGED_OUT_CHANNEL } from '@app/contracts';
import { channelSubscriberFor, describeClient, reconnectBackoff, type RedisClient } from '@app/redis';
import { ConnectionRegistry } from '@app/registry';
import { SessionStore } from '@app/sessions';
import { Redis, type RedisOptions } from 'ioredis';
import type { IncomingMessage } from 'node:http';
import type { DefaultEventsMap, ExtendedError, Namespace, Server, Socket } from 'socket.io';
import { CredentialExpiry } from './lifetime/credential-expiry';
import { CredentialRefresh } from './lifetime/credential-refresh';
import { SessionwireAttachError, SessionwireRedisUnreachableError } from './config/errors';
import { ForcedLogout } from './sockets/forced-logout';
import { HandshakeAuthenticator } from './handshake/handshake-authenticator';
import { RemoteVerificationKeys } from './handshake/remote-verification-keys';
import { TrustedIssuerKeys } from './handshake/trusted-issuer-keys';
import { ExternalSessionEnds } from './registry/external-session-ends';
import { ACCESS_TOKEN_ALGORITHM } from '@app/tokens';
import { selectingProtocol, type HandleProtocols } from './handshake/subprotocol-carrier';
import { LocalSockets } from './sockets/local-sockets';
import { consoleLogger, type SessionwireLogger } from './config/logger';
import { noMetrics, registerMetrics } from './sockets/metrics';
import { NodeDrain } from './lifetime/node-drain';
import { NodePresence } from './registry/node-presence';
import { isRedisInstance, resolveOptions, type ResolvedOptions, type SessionwireOptions } from './config/options';
import { RecentEnds } from './revocation/recent-ends';
import { RegistryWriter } from './registry/registry-writer';
import { SessionRecheck } from './revocation/session-recheck';
import type { SessionwireSocketData, WireServer, WireSocket } from './sockets/socket-types';
import { UserLoggedOutSubscriber } from './revocation/user-logged-out-subscriber';

/** A socket of this node, whatever the app's event maps. */
export type SessionwireSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SessionwireSocketData>;

/** Read access to this node's connected sockets (main namespace), through the local room index: no Redis. */
export interface SessionwireLocalSockets {
  /** How many sockets are connected to this node. */
  count(): number;
  /** The connected sockets in any of these rooms (e.g. `sessionwireRooms.session(id)`), each once. */
  inRooms(rooms: readonly string[]): SessionwireSocket[];
  /** Every connected socket of this node. */
  all(): SessionwireSocket[];
}

export interface SessionwireStatus {
  /** `drain()` was called. */
  draining: boolean;
  /** The `user-logged-out` subscriber's ioredis status: `ready` while subscribed. */
  subscriber: string;
  /** The command connection's ioredis status. */
  redis: string;
  /**
   * The names of the `oidcIssuers` entries whose keys are not loaded yet (their tokens are refused with UNAVAILABLE
   * meanwhile). Not part of `ready()`: one provider's outage must not take every node out of rotation.
   */
  oidcIssuersWithoutKeys: string[];
}

/** The handle `createSessionwire` resolves with. */
export interface Sessionwire {
  /** This node's id in the shared registry. */
  readonly nodeId: string;
  /**
   * Wires sessionwire into a Socket.IO server (once): the authenticating handshake middleware, the drain and Origin
   * checks in the engine's `allowRequest` (then the app's own, if it set one), the WebSocket protocol choice
   * (`sessionwire.v1`, never a `sessionwire.bearer.` protocol), the pass-on of foreign Engine.IO sessions, each
   * socket's expiry and `auth:refresh`, its registry entry, and the `sockets:evicted` message between nodes. The
   * main namespace authenticates; a socket of another namespace (made before or after `attach`) is admitted
   * only on a connection whose main-namespace socket is authenticated, and shares its `socket.data`. Attach before
   * adding middleware that reads `socket.data`. Returns `io`.
   * @throws SessionwireAttachError when already attached, closed, or `io` is not bound to an HTTP server yet.
   */
  attach<S extends Server>(io: S): S;
  status(): SessionwireStatus;
  /** Redis and the subscriber are ready and the node is not draining: for a readiness probe. */
  ready(): boolean;
  /**
   * Stops admitting connections (new handshakes are cut before any answer, so a proxy retries another node), sends
   * `server:draining` to every socket, closes them in batches over `drainWindowSeconds` and removes this node from
   * the registry. Call it before `close()` on shutdown.
   */
  drain(): Promise<void>;
  /**
   * Stops the timers, unsubscribes, restores the engine's `allowRequest` and quits the Redis connections sessionwire
   * made (an app's client stays open). Handshakes afterwards are refused with `UNAVAILABLE`.
   */
  close(): Promise<void>;
  /** This node's sockets. */
  localSockets(): SessionwireLocalSockets;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects to Redis, loads the keys (JWKS) of the auth service and of every external OpenID Provider (discovered when
 * no `jwksUri` is given), subscribes to `user-logged-out` and joins the registry; then `attach()` wires a Socket.IO
 * server. An external provider whose keys do not load within `oidcKeys.waitMs` does not stop the start: its keys go
 * on loading in the background, its tokens are refused with UNAVAILABLE until they do.
 * @throws InvalidSessionwireOptionsError naming each bad option.
 * @throws SessionwireRedisUnreachableError when Redis does not answer within 10 s.
 * @throws JwksUnavailableError when the auth service's JWKS cannot be loaded within `accessTokens.jwksWaitMs`, or an
 * external issuer's discovery document names another issuer (naming the `oidcIssuers` entry).
 */
export async function createSessionwire(options: SessionwireOptions): Promise<Sessionwire> {
  const config = resolveOptions(options);
  const logger = options.logger ?? consoleLogger;
  const { client: redis, owned } = redisClientOf(options.redis, config.nodeId);
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const undo = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  };
  if (owned) {
    redis.on('error', (error: Error) => logger.warn(`Redis connection error: ${error.message}`));
    cleanups.push(() => (redis.status === 'ready' ? redis.quit() : redis.disconnect()));
  }
  try {
    await waitUntilReady(redis);
    const externalIssuers = TrustedIssuerKeys.startAll(config.oidcIssuers, config.oidcKeys, logger);
    cleanups.push(() => externalIssuers.forEach((issuerKeys) => issuerKeys.stop()));
    const [keys] = await Promise.all([
      config.jwks &&
        RemoteVerificationKeys.load(
          {
            ...config.jwks,
            algorithms: [ACCESS_TOKEN_ALGORITHM],
            source: `the auth service's keys from accessTokens.jwksUrl=${config.jwks.url}`,
            waitOption: 'accessTokens.jwksWaitMs',
          },
          logger,
        ),
      TrustedIssuerKeys.untilLoaded(externalIssuers, config.oidcKeys.waitMs, logger),
    ]);
    return await assemble(config, options, logger, redis, keys, externalIssuers, cleanups, undo);
  } catch (error) {
    await undo();
    throw error;
  }
}

async function assemble(
  config: ResolvedOptions,
  options: SessionwireOptions,
  logger: SessionwireLogger,
  redis: RedisClient,
  keys: RemoteVerificationKeys | undefined,
  externalIssuers: TrustedIssuerKeys[],
  cleanups: Array<() => Promise<unknown> | unknown>,
  undo: () => Promise<void>,
): Promise<Sessionwire> {
  const sockets = new LocalSockets();
  const metrics = options.metrics ? await registerMetrics(options.metrics.registry, sockets) : noMetrics;
  const forcedLogout = new ForcedLogout(metrics, logger);
  // Sessionwire proves and slides sessions, it never creates one: only the idle timeout matters here.
  const sessions = new SessionStore(redis, { idleTtlSeconds: config.sessionIdleTimeoutSeconds, absoluteTtlSeconds: config.sessionIdleTimeoutSeconds });
  const registry = new ConnectionRegistry(redis);
  const externalEnds = new ExternalSessionEnds(redis, config.oidcIssuers);
  const externalIssuerNames = new Set(config.oidcIssuers.map((issuer) => issuer.issuer));
  const isExternal = (socket: WireSocket) => externalIssuerNames.has(socket.data.issuer);
  const writer = new RegistryWriter(registry, sessions, externalEnds, config, logger);
  const recentEnds = new RecentEnds(sessions, sockets, forcedLogout, logger);
  const recheck = new SessionRecheck(config, redis, sessions, externalEnds, isExternal, registry, writer, sockets, forcedLogout, metrics, logger);
  const presence = new NodePresence(config, registry, writer, sockets, logger);
  const drain = new NodeDrain(config, sockets, presence, logger);
  const expiry = new CredentialExpiry(config, forcedLogout);
  const verifier = new CredentialVerifier({
    accessTokens: config.accessTokens,
    verificationKeys: keys,
    externalIssuers: externalIssuers.map((issuerKeys) => ({ issuer: issuerKeys.issuer, keys: issuerKeys })),
    cookieName: config.cookieName,
  });
  const refresh = new CredentialRefresh(verifier, sessions, externalEnds, expiry, writer, logger);
  let closed = false;
  const authenticator = new HandshakeAuthenticator(config, verifier, writer, metrics, recentEnds, () => {
    if (closed) return 'This node no longer accepts connections; connect again';
    if (drain.draining) return 'This node is shutting down; connect again';
    return undefined;
  }, logger);
  const subscriber = new UserLoggedOutSubscriber(
    config,
    channelSubscriberFor(redis, { connectionName: `sessionwire:${config.nodeId}:user-logged-out`, channel: USER_LOGGED_OUT_CHANNEL }),
    describeClient(redis),
    redis,
    sockets,
    forcedLogout,
    recheck,
    metrics,
    recentEnds,
    logger,
  );
  metrics.watchSubscriber(() => subscriber.status() === 'ready');
  await subscriber.open();
  cleanups.push(() => subscriber.close());
  await presence.start();
  cleanups.push(() => presence.stop());
  recheck.start();
  cleanups.push(() => recheck.stop());
  cleanups.push(() => expiry.clear());

  let attached: WireServer | undefined;
  return {
    nodeId: config.nodeId,
    localSockets: () => ({
      count: () => sockets.count(),
      inRooms: (rooms) => sockets.inRooms(rooms) as unknown as SessionwireSocket[],
      all: () => sockets.all() as unknown as SessionwireSocket[],
    }),
    attach(io) {
      if (closed) throw new SessionwireAttachError('This sessionwire is closed: create another one with createSessionwire()');
      if (attached) throw new SessionwireAttachError('attach() was already called: one sessionwire serves one Socket.IO server; create another for a second server');
      const server = io as unknown as WireServer;
      if (!server.engine) throw new SessionwireAttachError('The Socket.IO server has no engine yet: create it with an HTTP server (new Server(httpServer)) or call io.attach()/io.listen() before attach()');
      attached = server;
      sockets.attach(server);
      const engine = server.engine;
      const appAllowRequest = engine.opts.allowRequest;
      engine.opts.allowRequest = (request, callback) => {
        if (drain.draining) {
          // Cut without an answer: a proxy retries the request on another node, a direct client reconnects.
          request.socket.destroy();
          return;
        }
        // Cross-site WebSocket hijacking defence: a browser page from a foreign origin must not open a socket carrying
        // the user's cookie. Requests with no Origin (non-browser clients) carry no ambient cross-site authority.
        const origin = request.headers.origin;
        if (origin !== undefined && !config.allowedOrigins.includes(origin)) callback('ORIGIN_NOT_ALLOWED', false);
        else if (appAllowRequest) appAllowRequest(request, callback);
        else callback(null, true);
      };
      const restoreProtocolChoice = selectProtocolsOn(engine);
      engine.use((request: EngineRequest, _response: unknown, next: (error?: unknown) => void) => {
        if (!closed) passOnForeignSessions(server, request);
        next();
      });
      server.use(authenticator.middleware());
      // Sockets of the app's other namespaces ride on the connection's main-namespace socket: admitted only when the
      // same connection holds an authenticated one, sharing its socket.data; ending it closes the whole connection.
      const mainSockets = new WeakMap<object, WireSocket>();
      const guardNamespace = (namespace: Namespace) => {
        if (namespace.name === '/') return;
        namespace.use((socket, next) => {
          const main = mainSockets.get(socket.conn);
          if (!main?.connected || closed) return next(namespaceRefusal());
          socket.data = main.data;
          next();
        });
      };
      for (const namespace of server._nsps.values()) guardNamespace(namespace as unknown as Namespace);
      // One listener shared by every socket (EventEmitter calls it with the socket as `this`): an idle socket keeps no
      // closure of its own.
      const onDisconnect = function (this: WireSocket) {
        expiry.forget(this);
        if (this.data.userId) writer.remove(this.id, this.data.userId);
      };
      const onConnection = (socket: WireSocket) => {
        mainSockets.set(socket.conn, socket);
        expiry.watch(socket);
        refresh.listen(socket);
        if (socket.conn.transport.name !== 'websocket') socket.conn.once('upgrade', () => writer.update(socket));
        socket.on('disconnect', onDisconnect);
        void recentEnds.endIfEnded(socket);
      };
      const onEvicted = (evicted: Parameters<typeof recentEnds.applyEviction>[0]) => recentEnds.applyEviction(evicted);
      server.on('connection', onConnection);
      server.on('sockets:evicted', onEvicted);
      server.on('new_namespace', guardNamespace);
      cleanups.push(() => {
        engine.opts.allowRequest = appAllowRequest;
        restoreProtocolChoice();
        server.off('connection', onConnection);
        server.off('sockets:evicted', onEvicted);
        server.off('new_namespace', guardNamespace);
        sockets.detach();
      });
      return io;
    },
    status: () => ({
      draining: drain.draining,
      subscriber: subscriber.status(),
      redis: redis.status,
      oidcIssuersWithoutKeys: externalIssuers.filter((issuerKeys) => !issuerKeys.loaded).map((issuerKeys) => issuerKeys.issuer.name),
    }),
    ready: () => !closed && !drain.draining && redis.status === 'ready' && subscriber.status() === 'ready',
    drain: () => drain.drain(),
    async close() {
      if (closed) return;
      closed = true;
      await undo();
    },
  };
}

/**
 * A request as engine.io's middlewares get it: its query string already parsed, once, by the engine (`prepare()`, before
 * any middleware). engine.io does not export the type.
 */
type EngineRequest = IncomingMessage & { _query: Record<string, string> };

/** The part of engine.io's WebSocket server (ws's `WebSocketServer`) that chooses the 101 answer's protocol. */
interface ProtocolChoosingWsServer {
  options?: { handleProtocols?: HandleProtocols | null };
}
type WsServerClass = new (options: Record<string, unknown>) => ProtocolChoosingWsServer;

/**
 * Makes the engine's WebSocket server answer `sessionwire.v1` to a client offering it, and never a token-carrying
 * protocol, around the app's own `handleProtocols` if it set one. Engine.IO makes a new WebSocket server each time
 * the HTTP server starts listening, from `opts.wsEngine`: the current one is wrapped, and so is every later one, by a
 * subclass of that engine. Returns how to undo both. A `wsEngine` without ws's `options` is left as it is.
 */
function selectProtocolsOn(engine: WireServer['engine']): () => void {
  const internals = engine as unknown as { ws?: ProtocolChoosingWsServer; opts: { wsEngine?: WsServerClass } };
  const appChoices = new WeakMap<HandleProtocols, HandleProtocols | undefined>();
  const wrap = (ws: ProtocolChoosingWsServer | undefined) => {
    if (typeof ws?.options !== 'object' || ws.options === null) return;
    const appChoice = ws.options.handleProtocols ?? undefined;
    const choice = selectingProtocol(appChoice);
    appChoices.set(choice, appChoice);
    ws.options.handleProtocols = choice;
  };
  const unwrap = (ws: ProtocolChoosingWsServer | undefined) => {
    const choice = ws?.options?.handleProtocols;
    if (ws?.options && choice && appChoices.has(choice)) ws.options.handleProtocols = appChoices.get(choice);
  };
  wrap(internals.ws);
  const appWsEngine = internals.opts.wsEngine;
  if (appWsEngine) {
    internals.opts.wsEngine = class extends appWsEngine {
      constructor(options: Record<string, unknown>) {
        super(options);
        wrap(this);
      }
    };
  }
  return () => {
    internals.opts.wsEngine = appWsEngine;
    unwrap(internals.ws);
  };
}

/** A socket of another namespace whose connection has no authenticated main-namespace socket. */
function namespaceRefusal(): ExtendedError {
  const error: ExtendedError = new Error('UNAUTHORIZED');
  error.data = { code: 'UNAUTHORIZED', message: 'Connect to the main namespace (with credentials) first, on the same connection' };
  return error;
}

/**
 * A request of an Engine.IO session this node does not hold (a long-poll that a proxy's hash of the client address
 * sent here because a node went away or came back) is cut without an answer, as a draining node cuts new
 * connections: the proxy then tries the next node, the one holding it. Answering Engine.IO's 400 "Session ID
 * unknown" would end the client's connection.
 */
function passOnForeignSessions(server: WireServer, request: EngineRequest): void {
  const { sid } = request._query;
  // `clients` (sessions by id) is documented API of engine.io's Server; its typings mark it protected.
  const { clients } = server.engine as unknown as { clients: Record<string, unknown> };
  if (sid !== undefined && !Object.hasOwn(clients, sid)) request.socket.destroy();
}

function redisClientOf(given: SessionwireOptions['redis'], nodeId: string): { client: RedisClient; owned: boolean } {
  if (isRedisInstance(given)) return { client: given, owned: false };
  // Commands fail fast while disconnected (handshakes answer UNAVAILABLE at once instead of hanging); reconnection
  // never gives up; auto-pipelining joins the admission's two writes in one round trip.
  const defaults: RedisOptions = {
    connectionName: `sessionwire:${nodeId}`,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    retryStrategy: reconnectBackoff,
  };
  const client = typeof given === 'string' ? new Redis(given, defaults) : new Redis({ ...defaults, ...given, lazyConnect: true });
  return { client, owned: true };
}

/** Connects a client that is not connected yet and waits for `ready`, at most CONNECT_TIMEOUT_MS. */
async function waitUntilReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return;
  let lastError: unknown = new Error('no answer');
  const onError = (error: unknown) => (lastError = error);
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new SessionwireRedisUnreachableError(
            `${describeClient(client)} did not answer within ${CONNECT_TIMEOUT_MS} ms (${lastError instanceof Error ? lastError.message : String(lastError)}); check the redis option and that Redis is running`,
          ),
        );
      }, CONNECT_TIMEOUT_MS);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      if (client.status === 'wait') client.connect().catch((error: unknown) => (lastError = error));
    });
  } finally {
    client.off('error', onError);
  }
}
