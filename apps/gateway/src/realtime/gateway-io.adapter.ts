import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { closeRedis, connectRedis, createRedisClient, type RedisClient } from '@app/redis';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { IncomingMessage } from 'node:http';
import { filter, type Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { GatewayConfig } from '../config/gateway.config';
import type { HandshakeAuthenticator } from './handshake-authenticator';

/** What the adapter needs to know of a drain (`NodeDrain`). */
export interface DrainState {
  readonly draining: boolean;
}

/**
 * Socket.IO for the gateway: the Redis adapter (rooms and broadcasts span every node), the drain and Origin
 * checks before any upgrade, message size limits, and the authenticating handshake middleware.
 */
export class GatewayIoAdapter extends IoAdapter {
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  /** What Nest bound for each socket; gone with the socket. */
  private readonly boundHandlers = new WeakMap<Socket, { handlers: MessageMappingProperties[]; transform: (data: unknown) => Observable<unknown> }>();
  /** One listener per event name, shared by every socket. */
  private readonly listeners = new Map<string, (this: Socket, ...payload: unknown[]) => void>();

  constructor(
    app: INestApplicationContext,
    private readonly config: GatewayConfig,
    private readonly authenticator: HandshakeAuthenticator,
    private readonly drain: DrainState,
  ) {
    super(app);
    // The adapter publishes without handling rejections, so its publisher keeps the offline queue and
    // never times out: during a Redis outage broadcasts wait instead of crashing the process.
    this.publisher = createRedisClient(config.redis, { connectionName: `gateway:${config.nodeId}:adapter-pub`, queueWhileDisconnected: true });
    this.subscriber = createRedisClient(config.redis, {
      connectionName: `gateway:${config.nodeId}:adapter-sub`,
      shardedSubscribers: config.redis.topology === 'cluster',
    });
    // An 'error' event with no listener crashes the process, and ioredis's Cluster emits one whenever a sharded
    // subscriber cannot reach its node (e.g. a master killed mid-failover), then retries by itself.
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`Socket.IO adapter Redis connection error: ${error.message}`));
    }
  }

  async connectToRedis(): Promise<void> {
    await Promise.all([
      connectRedis(this.publisher, this.config.redis, 10_000),
      connectRedis(this.subscriber, this.config.redis, 10_000),
    ]);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, {
      ...options,
      serveClient: false,
      maxHttpBufferSize: this.config.maxMessageBytes,
      pingInterval: this.config.ping.intervalMs,
      pingTimeout: this.config.ping.timeoutMs,
      cors: { origin: this.config.allowedOrigins, credentials: true },
      allowRequest: (request, callback) => this.admit(request, callback),
    } as ServerOptions);
    server.adapter(
      // On Cluster, classic PUBLISH is copied to every node over the cluster bus; sharded pub/sub keeps each
      // channel on the shard owning its slot, so the adapter's traffic spreads over the masters.
      this.config.redis.topology === 'cluster'
        ? createShardedAdapter(this.publisher, this.subscriber)
        : createAdapter(this.publisher, this.subscriber, { publishOnSpecificResponseChannel: true }),
    );
    server.engine.use((request: IncomingMessage, _response: unknown, next: (error?: unknown) => void) => this.passOnForeignSessions(server, request, next));
    server.use(this.authenticator.middleware());
    return server;
  }

  /**
   * A request of an Engine.IO session this node does not hold (a long-poll that nginx's hash of the client address
   * sent here because a replica went away or came back) is cut without an answer, as a draining node cuts new
   * connections: nginx then tries the next replica, the one holding it (the gateways are never taken out of the
   * balancing, max_fails=0). Answering Engine.IO's 400 "Session ID unknown" would end the client's connection.
   */
  private passOnForeignSessions(server: Server, request: IncomingMessage, next: (error?: unknown) => void): void {
    const sid = new URL(request.url ?? '', 'http://gateway').searchParams.get('sid');
    // `clients` (sessions by id) is documented API of engine.io's Server; its typings mark it protected.
    const { clients } = server.engine as unknown as { clients: Record<string, unknown> };
    if (sid !== null && !Object.hasOwn(clients, sid)) {
      request.socket.destroy();
      return;
    }
    next();
  }

  /**
   * Plain listeners instead of Nest's default, which builds an rxjs pipeline per handler per socket (fromEvent,
   * mergeMap, takeUntil(disconnect): ~30 subscribers and ~180 closures per socket here), costing more heap than
   * the socket itself and showing in every connect and disconnect. The listener of each event is one function
   * shared by every socket (EventEmitter calls it with the socket as `this`), so an idle socket keeps only the
   * handlers Nest bound for it. The handler still runs through Nest (guards, pipes, filters); its result is the
   * ack, or an event when it returns `{event, data}`; a failure the exception filter let through is logged, as
   * Nest does.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    this.boundHandlers.set(socket, { handlers, transform });
    for (const { message } of handlers) socket.on(message as string, this.sharedListener(message as string));
  }

  private sharedListener(message: string): (this: Socket, ...payload: unknown[]) => void {
    let listener = this.listeners.get(message);
    if (!listener) {
      const dispatch = (socket: Socket, payload: unknown[]) => this.dispatch(socket, message, payload);
      listener = function (this: Socket, ...payload: unknown[]) {
        dispatch(this, payload);
      };
      this.listeners.set(message, listener);
    }
    return listener;
  }

  private dispatch(socket: Socket, message: string, payload: unknown[]): void {
    const bound = this.boundHandlers.get(socket);
    const handler = bound?.handlers.find((candidate) => candidate.message === message);
    if (!bound || !handler) return;
    // As Nest's own binding (rxjs fromEvent) passes it: one argument as itself, several as an array; otherwise an
    // event sent without an ack would reach its handler as `[payload]` and fail validation.
    const { data, ack } = this.mapPayload(payload.length === 1 ? payload[0] : payload);
    let result: Observable<unknown>;
    try {
      result = bound.transform(handler.callback(data, ack));
    } catch (error) {
      this.logger.error(error);
      return;
    }
    result.pipe(filter((response) => response !== null && response !== undefined)).subscribe({
      next: (response) => {
        const reply = response as { event?: string; data?: unknown };
        if (reply.event) socket.emit(reply.event, reply.data);
        else if (!handler.isAckHandledManually && typeof ack === 'function') ack(response);
      },
      error: (error: unknown) => this.logger.error(error),
    });
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    await Promise.all([this.publisher, this.subscriber].map(closeRedis));
  }

  /**
   * Runs for every new Socket.IO connection (the handshake request, websocket and polling alike), before any
   * upgrade. A draining node cuts the connection without an answer: nginx then retries the request on another
   * replica and marks this one failed, as it would for a closed port, while the listener stays open for
   * `/health` and `/metrics`; a direct client sees a transport error and reconnects.
   * Cross-site WebSocket hijacking defence: a browser page from a foreign origin must not open a socket
   * carrying the user's cookie. Requests with no Origin (non-browser clients, same-origin polling GETs) carry
   * no ambient cross-site authority.
   */
  private admit(request: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void): void {
    if (this.drain.draining) {
      request.socket.destroy();
      return;
    }
    const origin = request.headers.origin;
    if (origin === undefined || this.config.allowedOrigins.includes(origin)) callback(null, true);
    else callback('ORIGIN_NOT_ALLOWED', false);
  }
}
