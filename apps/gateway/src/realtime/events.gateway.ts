import { Inject, UseFilters, UseGuards } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  WsException,
} from '@nestjs/websockets';
import { authenticateRequest, SessionProof } from '@app/authentication';
import {
  authRefreshPayloadSchema,
  dmPayloadSchema,
  roomMessagePayloadSchema,
  roomPayloadSchema,
  type Ack,
  type AuthRefreshPayload,
  type DmPayload,
  type InterServerEvents,
  type NodeStats,
  type RoomMessagePayload,
  type RoomPayload,
  type SessionData,
  type WhoAmI,
} from '@app/contracts';
import { ZodValidationPipe } from '@app/http';
import { SessionStore } from '@app/sessions';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { RegistryWriter } from '../registry/registry-writer';
import { RecentEnds } from '../revocation/recent-ends';
import { LocalSockets } from '../sockets/local-sockets';
import { rooms, type GatewayServer, type GatewaySocket } from '../sockets/socket-types';
import { AdminEventGuard } from './admin-event.guard';
import { CredentialExpiry } from './credential-expiry';
import { EventPayloadDepthLimit } from './event-payload-depth-limit';
import { EventRateLimiter } from './event-rate-limiter';
import { SessionSetPayloadPipe, type SessionSetCommand } from './session-set-payload.pipe';
import { WsAckExceptionFilter } from './ws-ack-exception.filter';

/** The socket events (the contract is `ClientToServerEvents` / `ServerToClientEvents` in @app/contracts). */
@WebSocketGateway()
@UseFilters(WsAckExceptionFilter)
export class EventsGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  @WebSocketServer() private readonly server!: GatewayServer;

  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    private readonly sockets: LocalSockets,
    private readonly registry: RegistryWriter,
    private readonly sessions: SessionStore,
    private readonly proof: SessionProof,
    private readonly expiry: CredentialExpiry,
    private readonly rateLimiter: EventRateLimiter,
    private readonly payloadDepth: EventPayloadDepthLimit,
    private readonly recentEnds: RecentEnds,
  ) {}

  afterInit(server: GatewayServer): void {
    this.sockets.attach(server);
    server.on('session:data', (change: Parameters<InterServerEvents['session:data']>[0]) => this.applySessionData(change));
    server.on('sockets:evicted', (evicted: Parameters<InterServerEvents['sockets:evicted']>[0]) => this.recentEnds.applyEviction(evicted));
  }

  handleConnection(socket: GatewaySocket): void {
    // The rate first: a flood is refused before its payloads are measured.
    this.rateLimiter.limit(socket);
    this.payloadDepth.limit(socket);
    this.expiry.watch(socket);
    void this.recentEnds.endIfEnded(socket);
  }

  handleDisconnect(socket: GatewaySocket): void {
    this.expiry.forget(socket);
    if (socket.data.userId) this.registry.remove(socket.id, socket.data.userId);
  }

  /**
   * In-band token refresh: a fresh access token of this same session moves the socket's expiry forward.
   * Anything else (another user or session, an expired or revoked token) is refused and changes nothing.
   */
  @SubscribeMessage('auth:refresh')
  async refreshCredential(
    @ConnectedSocket() socket: GatewaySocket,
    @MessageBody(new ZodValidationPipe(authRefreshPayloadSchema)) payload: AuthRefreshPayload,
  ): Promise<Ack<{ exp: number }>> {
    const principal = await this.proof.principal(await authenticateRequest({ authorization: `Bearer ${payload.token}` }));
    if (principal.userId !== socket.data.userId || principal.sessionId !== socket.data.sessionId) {
      throw new WsException({ code: 'UNAUTHORIZED', message: 'The token belongs to another session' });
    }
    socket.data.credentialExpiresAt = principal.credentialExpiresAt;
    socket.data.roles = principal.roles;
    this.expiry.watch(socket);
    return { ok: true, exp: Math.floor(principal.credentialExpiresAt / 1000) };
  }

  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() socket: GatewaySocket): Ack<WhoAmI> {
    const { userId, sessionId, roles } = socket.data;
    return { ok: true, userId, sessionId, roles, nodeId: this.config.nodeId };
  }

  /** Delivers to every socket of the target user, on every node (through the Redis adapter). */
  @SubscribeMessage('dm')
  dm(@ConnectedSocket() socket: GatewaySocket, @MessageBody(new ZodValidationPipe(dmPayloadSchema)) payload: DmPayload): Ack {
    this.server.to(rooms.user(payload.toUserId)).emit('dm', { fromUserId: socket.data.userId, text: payload.text, at: Date.now() });
    return { ok: true };
  }

  @SubscribeMessage('room:join')
  async joinRoom(@ConnectedSocket() socket: GatewaySocket, @MessageBody(new ZodValidationPipe(roomPayloadSchema)) payload: RoomPayload): Promise<Ack> {
    await socket.join(rooms.chat(payload.room));
    return { ok: true };
  }

  @SubscribeMessage('room:leave')
  async leaveRoom(@ConnectedSocket() socket: GatewaySocket, @MessageBody(new ZodValidationPipe(roomPayloadSchema)) payload: RoomPayload): Promise<Ack> {
    await socket.leave(rooms.chat(payload.room));
    return { ok: true };
  }

  @SubscribeMessage('room:message')
  roomMessage(
    @ConnectedSocket() socket: GatewaySocket,
    @MessageBody(new ZodValidationPipe(roomMessagePayloadSchema)) payload: RoomMessagePayload,
  ): Ack {
    const room = rooms.chat(payload.room);
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
    this.server.to(rooms.session(sessionId)).emit('session:data', { key: payload.key, value: payload.value });
    return { ok: true };
  }

  @SubscribeMessage('admin:stats')
  @UseGuards(AdminEventGuard)
  stats(): Ack<NodeStats> {
    return { ok: true, nodeId: this.config.nodeId, connections: this.sockets.count() };
  }

  private applySessionData(change: Parameters<InterServerEvents['session:data']>[0]): void {
    for (const socket of this.sockets.inRooms([rooms.session(change.sessionId)])) {
      if (socket.data.userId === change.userId) socket.data.sessionData[change.key] = change.value;
    }
  }
}
