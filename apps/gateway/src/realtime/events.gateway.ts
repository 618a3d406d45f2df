import { Inject, UseFilters, UseGuards } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  WsException,
} from '@nestjs/websockets';
import {
  dmPayloadSchema,
  roomMessagePayloadSchema,
  roomPayloadSchema,
  type Ack,
  type DmPayload,
  type InterServerEvents,
  type NodeStats,
  type RoomMessagePayload,
  type Role,
  type RoomPayload,
  type SessionData,
  type WhoAmI,
} from '@app/contracts';
import { ZodValidationPipe } from '@app/http';
import { SessionStore } from '@app/sessions';
import { Sessionwire } from '@sessionwire/nest';
import { sessionwireRooms } from '@sessionwire/server';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { chatRoom, type GatewayServer, type GatewaySocket } from '../sockets/socket-types';
import { AdminEventGuard } from './admin-event.guard';
import { EventPayloadDepthLimit } from './event-payload-depth-limit';
import { EventRateLimiter } from './event-rate-limiter';
import { SessionSetPayloadPipe, type SessionSetCommand } from './session-set-payload.pipe';
import { WsAckExceptionFilter } from './ws-ack-exception.filter';

/**
 * The demo's socket events (the contract is `ClientToServerEvents` / `ServerToClientEvents` in @app/contracts). The
 * session layer (handshake, `auth:refresh`, expiry, forced logout, drain) is @sessionwire/nest's.
 */
@WebSocketGateway()
@UseFilters(WsAckExceptionFilter)
export class EventsGateway implements OnGatewayInit, OnGatewayConnection {
  @WebSocketServer() private readonly server!: GatewayServer;

  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    private readonly wire: Sessionwire,
    private readonly sessions: SessionStore,
    private readonly rateLimiter: EventRateLimiter,
    private readonly payloadDepth: EventPayloadDepthLimit,
  ) {}

  afterInit(server: GatewayServer): void {
    server.on('session:data', (change: Parameters<InterServerEvents['session:data']>[0]) => this.applySessionData(change));
  }

  handleConnection(socket: GatewaySocket): void {
    // The rate first: a flood is refused before its payloads are measured.
    this.rateLimiter.limit(socket);
    this.payloadDepth.limit(socket);
  }

  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() socket: GatewaySocket): Ack<WhoAmI> {
    const { userId, sessionId, roles } = socket.data;
    // The roles of a verified access token or session record: the auth service only ever grants `Role`s.
    return { ok: true, userId, sessionId, roles: roles as Role[], nodeId: this.config.nodeId };
  }

  /** Delivers to every socket of the target user, on every node (through the Redis adapter). */
  @SubscribeMessage('dm')
  dm(@ConnectedSocket() socket: GatewaySocket, @MessageBody(new ZodValidationPipe(dmPayloadSchema)) payload: DmPayload): Ack {
    this.server.to(sessionwireRooms.user(payload.toUserId)).emit('dm', { fromUserId: socket.data.userId, text: payload.text, at: Date.now() });
    return { ok: true };
  }

  @SubscribeMessage('room:join')
  async joinRoom(@ConnectedSocket() socket: GatewaySocket, @MessageBody(new ZodValidationPipe(roomPayloadSchema)) payload: RoomPayload): Promise<Ack> {
    await socket.join(chatRoom(payload.room));
    return { ok: true };
  }

  @SubscribeMessage('room:leave')
  async leaveRoom(@ConnectedSocket() socket: GatewaySocket, @MessageBody(new ZodValidationPipe(roomPayloadSchema)) payload: RoomPayload): Promise<Ack> {
    await socket.leave(chatRoom(payload.room));
    return { ok: true };
  }

  @SubscribeMessage('room:message')
  roomMessage(
    @ConnectedSocket() socket: GatewaySocket,
    @MessageBody(new ZodValidationPipe(roomMessagePayloadSchema)) payload: RoomMessagePayload,
  ): Ack {
    const room = chatRoom(payload.room);
    if (!socket.rooms.has(room)) throw new WsException({ code: 'FORBIDDEN', message: `Join room ${payload.room} first` });
    this.server.to(room).emit('room:message', { room: payload.room, fromUserId: socket.data.userId, text: payload.text, at: Date.now() });
    return { ok: true };
  }

  @SubscribeMessage('session:get')
  sessionGet(@ConnectedSocket() socket: GatewaySocket): Ack<{ data: SessionData }> {
    return { ok: true, data: socket.data.sessionData };
  }

  /**
   * Persists one value of the session's data explicitly (there is no HTTP response to trigger a save),
   * then brings every socket of the session up to date, on every node.
   */
  @SubscribeMessage('session:set')
  async sessionSet(
    @ConnectedSocket() socket: GatewaySocket,
    @MessageBody(SessionSetPayloadPipe) payload: SessionSetCommand,
  ): Promise<Ack> {
    const { maxKeys } = this.config.sessionData;
    const { userId, sessionId } = socket.data;
    const outcome = await this.sessions.setData(userId, sessionId, payload.key, payload.valueJson, maxKeys);
    if (outcome === 'missing') throw new WsException({ code: 'SESSION_REVOKED', message: 'The session has ended' });
    if (outcome === 'full') throw new WsException({ code: 'PAYLOAD_TOO_LARGE', message: `A session holds at most ${maxKeys} keys` });
    const change = { userId, sessionId, key: payload.key, value: payload.value };
    this.applySessionData(change);
    this.server.serverSideEmit('session:data', change);
    this.server.to(sessionwireRooms.session(sessionId)).emit('session:data', { key: payload.key, value: payload.value });
    return { ok: true };
  }

  @SubscribeMessage('admin:stats')
  @UseGuards(AdminEventGuard)
  stats(): Ack<NodeStats> {
    return { ok: true, nodeId: this.config.nodeId, connections: this.wire.localSockets().count() };
  }

  private applySessionData(change: Parameters<InterServerEvents['session:data']>[0]): void {
    for (const socket of this.wire.localSockets().inRooms([sessionwireRooms.session(change.sessionId)])) {
      if (socket.data.userId === change.userId) socket.data.sessionData[change.key] = change.value;
    }
  }
}
