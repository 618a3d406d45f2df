import { Inject, UseFilters, UseGuards } from '@nestjs/common';
import { ConnectedSocket, MessageBody, type OnGatewayConnection, type OnGatewayInit, WebSocketGateway, WebSocketServer, WsException } from '@nestjs/websockets';
import type { ClientEventAck, ClientEventPayload, InterServerEvents, Role } from '@app/contracts';
import { SessionStore } from '@app/sessions';
import { Sessionwire } from '@sessionwire/nest';
import { sessionwireRooms } from '@sessionwire/server';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { chatRoom, type GatewayServer, type GatewaySocket } from '../sockets/socket-types';
import { AdminEventGuard } from './admin-event.guard';
import { ClientPayload, OnClientEvent } from './client-event.decorators';
import { EventPayloadDepthLimit } from './event-payload-depth-limit';
import { EventRateLimiter } from './event-rate-limiter';
import { SessionSetPayloadPipe, type SessionSetCommand } from './session-set-payload.pipe';
import { WsAckExceptionFilter } from './ws-ack-exception.filter';

/**
 * The demo's socket events. Their names, payload schemas and ack results are declared once, in the contracts'
 * `clientEvents` table (from which `ClientToServerEvents` derives). The session layer (handshake, `auth:refresh`,
 * expiry, forced logout, drain) is @sessionwire/nest's.
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

  @OnClientEvent('whoami')
  whoami(@ConnectedSocket() socket: GatewaySocket): ClientEventAck<'whoami'> {
    const { userId, sessionId, roles } = socket.data;
    // The roles of a verified access token or session record: `Role`s from the auth service; an external provider's
    // (its configured roles claim) are passed on as they are.
    return { ok: true, userId, sessionId, roles: roles as Role[], nodeId: this.config.nodeId };
  }

  /** Delivers to every socket of the target user, on every node (through the Redis adapter). */
  @OnClientEvent('dm')
  dm(@ConnectedSocket() socket: GatewaySocket, @ClientPayload('dm') payload: ClientEventPayload<'dm'>): ClientEventAck<'dm'> {
    this.server.to(sessionwireRooms.user(payload.toUserId)).emit('dm', { fromUserId: socket.data.userId, text: payload.text, at: Date.now() });
    return { ok: true };
  }

  @OnClientEvent('room:join')
  async joinRoom(@ConnectedSocket() socket: GatewaySocket, @ClientPayload('room:join') payload: ClientEventPayload<'room:join'>): Promise<ClientEventAck<'room:join'>> {
    await socket.join(chatRoom(payload.room));
    return { ok: true };
  }

  @OnClientEvent('room:leave')
  async leaveRoom(@ConnectedSocket() socket: GatewaySocket, @ClientPayload('room:leave') payload: ClientEventPayload<'room:leave'>): Promise<ClientEventAck<'room:leave'>> {
    await socket.leave(chatRoom(payload.room));
    return { ok: true };
  }

  @OnClientEvent('room:message')
  roomMessage(
    @ConnectedSocket() socket: GatewaySocket,
    @ClientPayload('room:message') payload: ClientEventPayload<'room:message'>,
  ): ClientEventAck<'room:message'> {
    const room = chatRoom(payload.room);
    if (!socket.rooms.has(room)) throw new WsException({ code: 'FORBIDDEN', message: `Join room ${payload.room} first` });
    this.server.to(room).emit('room:message', { room: payload.room, fromUserId: socket.data.userId, text: payload.text, at: Date.now() });
    return { ok: true };
  }

  @OnClientEvent('session:get')
  sessionGet(@ConnectedSocket() socket: GatewaySocket): ClientEventAck<'session:get'> {
    return { ok: true, data: socket.data.sessionData };
  }

  /**
   * Persists one value of the session's data explicitly (there is no HTTP response to trigger a save),
   * then brings every socket of the session up to date, on every node.
   */
  @OnClientEvent('session:set')
  async sessionSet(
    @ConnectedSocket() socket: GatewaySocket,
    @MessageBody(SessionSetPayloadPipe) payload: SessionSetCommand,
  ): Promise<ClientEventAck<'session:set'>> {
    const { maxKeys } = this.config.sessionData;
    const { userId, sessionId, issuer } = socket.data;
    // Session data lives in the auth service's session record; an external provider's session has none.
    if (issuer !== this.config.sessionwire.accessTokens.issuer) {
      throw new WsException({ code: 'FORBIDDEN', message: 'A session of an external OpenID Provider holds no session data' });
    }
    const outcome = await this.sessions.setData(userId, sessionId, payload.key, payload.valueJson, maxKeys);
    if (outcome === 'missing') throw new WsException({ code: 'SESSION_REVOKED', message: 'The session has ended' });
    if (outcome === 'full') throw new WsException({ code: 'PAYLOAD_TOO_LARGE', message: `A session holds at most ${maxKeys} keys` });
    const change = { userId, sessionId, key: payload.key, value: payload.value };
    this.applySessionData(change);
    this.server.serverSideEmit('session:data', change);
    this.server.to(sessionwireRooms.session(sessionId)).emit('session:data', { key: payload.key, value: payload.value });
    return { ok: true };
  }

  @OnClientEvent('admin:stats')
  @UseGuards(AdminEventGuard)
  stats(): ClientEventAck<'admin:stats'> {
    return { ok: true, nodeId: this.config.nodeId, connections: this.wire.localSockets().count() };
  }

  private applySessionData(change: Parameters<InterServerEvents['session:data']>[0]): void {
    for (const socket of this.wire.localSockets().inRooms([sessionwireRooms.session(change.sessionId)])) {
      if (socket.data.userId === change.userId) socket.data.sessionData[change.key] = change.value;
    }
  }
}
