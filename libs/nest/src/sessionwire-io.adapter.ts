import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { SessionwireOptions } from '@sessionwire/server';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Cluster, Redis } from 'ioredis';
import { filter, type Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { Sessionwire } from './sessionwire';
import { SessionwireLifecycle } from './sessionwire.lifecycle';
import { SESSIONWIRE_OPTIONS } from './sessionwire.module-definition';

/** How long bootstrap waits for the Redis adapter's connections. */
const ADAPTER_CONNECT_TIMEOUT_MS = 10_000;

export interface SessionwireIoAdapterOptions {
  /**
   * `'redis'`: rooms and broadcasts span every node, through @socket.io/redis-adapter on two connections of its own
   * to the sessionwire Redis (sharded pub/sub on a Redis Cluster), closed with the server. `false`: no adapter is
   * installed (one node, or the app installs its own on the server it gets in `afterInit`).
   * @default 'redis'
   */
  adapter?: 'redis' | false;
  /**
   * Socket.IO server options applied over those of `@WebSocketGateway(...)`, for values known only at run time
   * (`maxHttpBufferSize`, `pingInterval`, …). An `allowRequest` of yours runs after sessionwire's drain and
   * Origin checks.
   * @default {} (CORS: the sessionwire `allowedOrigins`, with credentials, on HTTP long-polling requests)
   */
  serverOptions?: Partial<ServerOptions>;
}

/**
 * Nest's Socket.IO adapter with sessionwire: every server it creates is attached to the application's `Sessionwire`
 * handle (handshake authentication, the registry, logout propagation, the session protocol), with the Redis adapter
 * installed unless disabled. `app.useWebSocketAdapter(new SessionwireIoAdapter(app))` after `SessionwireModule`.
 */
export class SessionwireIoAdapter extends IoAdapter {
  private readonly wire: Sessionwire;
  private readonly wireOptions: SessionwireOptions;
  private readonly lifecycle: SessionwireLifecycle;
  private readonly redisConnections: Array<Redis | Cluster> = [];
  /**
   * What Nest bound for each socket, gone with the socket: its handlers' callbacks by the slot of their event, and
   * its disconnect callbacks.
   */
  private readonly boundHandlers = new WeakMap<Socket, BoundSocket>();
  /**
   * The handled events, shared by every socket: by gateway (in the order Nest binds a namespace's gateways to each of
   * its sockets), then by whether the handler acks by itself, then by event name. Each has its slot and its one
   * listener; two gateways subscribing to one event each get theirs, as with Nest's own binding. Namespaces share
   * the table (a socket holds only its own namespace's callbacks), so it is bounded by the app's code, not by the
   * namespaces clients open.
   */
  private readonly events: Array<{ acked: Map<string, HandledEvent>; ackedManually: Map<string, HandledEvent> }> = [];
  private slotCount = 0;
  /**
   * Nest's result pipeline. Nest passes a fresh but identical closure for every socket (it only wraps the handler's
   * result in an Observable); one is kept for all.
   */
  private transform?: (data: unknown) => Observable<unknown>;

  constructor(
    app: INestApplicationContext,
    private readonly options: SessionwireIoAdapterOptions = {},
  ) {
    super(app);
    this.wire = app.get(Sessionwire);
    this.wireOptions = app.get<SessionwireOptions>(SESSIONWIRE_OPTIONS);
    this.lifecycle = app.get(SessionwireLifecycle);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, {
      cors: corsForPolling(this.wireOptions.allowedOrigins),
      ...options,
      ...this.options.serverOptions,
    } as ServerOptions);
    if ((this.options.adapter ?? 'redis') === 'redis') this.installRedisAdapter(server);
    return this.wire.attach(server);
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    await Promise.all(this.redisConnections.splice(0).map((client) => (client.status === 'ready' ? client.quit() : client.disconnect())));
  }

  private installRedisAdapter(server: Server): void {
    const { publisher, subscriber } = this.adapterConnections();
    server.adapter(
      // On Cluster, classic PUBLISH is copied to every node over the cluster bus; sharded pub/sub keeps each
      // channel on the shard owning its slot, so the adapter's traffic spreads over the masters.
      publisher instanceof Cluster ? createShardedAdapter(publisher, subscriber) : createAdapter(publisher, subscriber, { publishOnSpecificResponseChannel: true }),
    );
    this.lifecycle.waitFor(Promise.all([publisher, subscriber].map((client) => ready(client))));
  }

  /**
   * Two connections to the sessionwire Redis, made like the app's: from the same URL or options, or duplicated
   * from the instance it passed (which stays the app's). Both queue while disconnected and never time out: Nest
   * creates the server (and the adapter subscribes) before they are connected, and the adapter publishes without
   * handling rejections, so during a Redis outage broadcasts wait instead of crashing the process.
   */
  private adapterConnections(): { publisher: Redis | Cluster; subscriber: Redis | Cluster } {
    const { redis } = this.wireOptions;
    const name = (role: string) => ({ connectionName: `sessionwire:${this.wire.nodeId}:adapter-${role}` });
    // Never auto-pipelined (an app's client may be): ioredis auto-pipelines PUNSUBSCRIBE, so the adapter's unsubscribe
    // at close went out after QUIT and rejected unhandled, crashing a draining gateway (found by the soak).
    const queueing = { lazyConnect: false, enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, enableAutoPipelining: false };
    let publisher: Redis | Cluster;
    let subscriber: Redis | Cluster;
    if (redis instanceof Cluster) {
      const cluster = (role: string, sharded: boolean) =>
        redis.duplicate(undefined, { lazyConnect: false, enableOfflineQueue: true, shardedSubscribers: sharded, redisOptions: { ...redis.options.redisOptions, ...queueing, ...name(role) } });
      publisher = cluster('pub', false);
      subscriber = cluster('sub', true);
    } else {
      const single = (role: string): Redis =>
        redis instanceof Redis
          ? redis.duplicate({ ...queueing, ...name(role) })
          : typeof redis === 'string'
            ? new Redis(redis, { ...queueing, ...name(role) })
            : new Redis({ ...redis, ...queueing, ...name(role) });
      publisher = single('pub');
      subscriber = single('sub');
    }
    for (const client of [publisher, subscriber]) {
      // An 'error' event with no listener crashes the process, and ioredis's Cluster emits one whenever a sharded
      // subscriber cannot reach its node (e.g. a master killed mid-failover), then retries by itself.
      client.on('error', (error: Error) => this.logger.warn(`Socket.IO adapter Redis connection error: ${error.message}`));
      this.redisConnections.push(client);
    }
    return { publisher, subscriber };
  }

  /**
   * Plain listeners instead of Nest's default, which builds an rxjs pipeline per handler per socket (fromEvent,
   * mergeMap, takeUntil(disconnect): ~30 subscribers and ~180 closures per socket for a dozen events), costing
   * more heap than the socket itself and showing in every connect and disconnect. The listener of each event is one
   * function shared by every socket (EventEmitter calls it with the socket as `this`), so an idle socket keeps only
   * the callbacks Nest bound for it, in one array. The handler still runs through Nest (guards, pipes, filters); its
   * result is the ack, or an event when it returns `{event, data}`; a failure the exception filter let through is
   * logged, as Nest does.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    this.transform ??= transform;
    const previous = this.boundHandlers.get(socket);
    const gateway = previous?.gateways ?? 0;
    const events = handlers.map(({ message, isAckHandledManually }) => this.handledEvent(gateway, message as string, isAckHandledManually));
    const callbacks: Array<BoundCallback | undefined> = Array.from({ length: this.slotCount }, (_, slot) => previous?.callbacks[slot]);
    handlers.forEach(({ callback }, index) => {
      const event = events[index];
      if (callbacks[event.slot] === undefined) socket.on(event.name, event.listener);
      callbacks[event.slot] = callback;
    });
    this.boundHandlers.set(socket, { callbacks, gateways: gateway + 1, onDisconnect: previous?.onDisconnect });
  }

  /** Nest's disconnect callback (its `handleDisconnect` hook) is kept with the socket's callbacks; one shared listener calls it. */
  override bindClientDisconnect(socket: Socket, callback: (reason: string) => void): void {
    const bound = this.boundHandlers.get(socket);
    if (!bound) return super.bindClientDisconnect(socket, callback);
    const previous = bound.onDisconnect;
    if (previous) {
      // A second gateway on the same namespace.
      bound.onDisconnect = (reason) => {
        previous(reason);
        callback(reason);
      };
    } else {
      bound.onDisconnect = callback;
      socket.on('disconnect', this.onDisconnect);
    }
  }

  /** Socket.IO emits `disconnect` once per socket. */
  private readonly onDisconnect = (() => {
    const boundHandlers = this.boundHandlers;
    return function (this: Socket, reason: string) {
      boundHandlers.get(this)?.onDisconnect?.(reason);
    };
  })();

  private handledEvent(gateway: number, name: string, isAckHandledManually: boolean): HandledEvent {
    const tables = (this.events[gateway] ??= { acked: new Map(), ackedManually: new Map() });
    const byName = isAckHandledManually ? tables.ackedManually : tables.acked;
    let event = byName.get(name);
    if (!event) {
      const slot = this.slotCount++;
      const dispatch = (socket: Socket, payload: unknown[]) => this.dispatch(socket, handled, payload);
      const handled: HandledEvent = {
        name,
        slot,
        isAckHandledManually,
        listener: function (this: Socket, ...payload: unknown[]) {
          dispatch(this, payload);
        },
      };
      event = handled;
      byName.set(name, event);
    }
    return event;
  }

  private dispatch(socket: Socket, event: HandledEvent, payload: unknown[]): void {
    const callback = this.boundHandlers.get(socket)?.callbacks[event.slot];
    const transform = this.transform;
    if (!callback || !transform) return;
    // As Nest's own binding (rxjs fromEvent) passes it: none as undefined, one as itself, several as an array;
    // otherwise an event sent without an ack would reach its handler as `[payload]` and fail validation.
    const { data, ack } = this.mapPayload(payload.length > 1 ? payload : payload[0]);
    let result: Observable<unknown>;
    try {
      result = transform(callback(data, ack));
    } catch (error) {
      this.logger.error(error);
      return;
    }
    result.pipe(filter((response) => response !== null && response !== undefined)).subscribe({
      next: (response) => {
        const reply = response as { event?: string; data?: unknown };
        if (reply.event) socket.emit(reply.event, reply.data);
        else if (!event.isAckHandledManually && typeof ack === 'function') ack(response);
      },
      error: (error: unknown) => this.logger.error(error),
    });
  }
}

type BoundCallback = MessageMappingProperties['callback'];

/** What Nest bound for one socket. */
interface BoundSocket {
  /** By event slot; holes for events its namespace's gateways do not handle. */
  callbacks: Array<BoundCallback | undefined>;
  /** How many of its namespace's gateways Nest has bound to it so far. */
  gateways: number;
  /** Nest's `handleDisconnect` hook for this socket. */
  onDisconnect?: (reason: string) => void;
}

/** An event some gateway handles, with the listener every socket shares. */
interface HandledEvent {
  name: string;
  slot: number;
  isAckHandledManually: boolean;
  listener: (this: Socket, ...payload: unknown[]) => void;
}

/** Resolves once the client is ready; rejects (and stops it) after the timeout. */
function ready(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.disconnect();
      reject(new Error(`The Socket.IO Redis adapter could not connect to Redis within ${ADAPTER_CONNECT_TIMEOUT_MS} ms`));
    }, ADAPTER_CONNECT_TIMEOUT_MS);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The CORS grant to the sessionwire `allowedOrigins` (with credentials) for Engine.IO's HTTP long-polling requests. A
 * WebSocket upgrade gets none: browsers apply no CORS to WebSockets (sessionwire checks their Origin itself), so the
 * cors middleware's work on every upgrade bought nothing.
 */
function corsForPolling(allowedOrigins: readonly string[]): ServerOptions['cors'] {
  const polling = { origin: [...allowedOrigins], credentials: true };
  const upgrade = { origin: false };
  return (request, callback) => callback(null, request.headers.upgrade === undefined ? polling : upgrade);
}
