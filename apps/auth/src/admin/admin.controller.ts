import { Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { sessionIdSchema, userIdSchema, type ConnectionView, type RevokeResponse, type SessionId, type SessionView, type UserId } from '@app/contracts';
import { ZodValidationPipe } from '@app/http';
import { isExternalUserId } from '@app/oidc';
import { ConnectionRegistry } from '@app/registry';
import { SessionStore } from '@app/sessions';
import { AdminGuard, SessionAuthGuard } from '../auth/session-auth.guard';
import { SessionRevoker } from '../revocation/session-revoker';
import { toSessionView } from '../sessions/session-view';
import { UserRepository } from '../users/user.repository';

@Controller('admin/users/:userId')
@UseGuards(SessionAuthGuard, AdminGuard)
export class AdminController {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionStore,
    private readonly revoker: SessionRevoker,
    private readonly registry: ConnectionRegistry,
  ) {}

  /**
   * Ends every session of the user and waits (up to REVOKE_CONFIRM_DEADLINE_MS) until every live gateway
   * confirms how many of the user's sockets it closed.
   */
  @Post('revoke')
  @HttpCode(HttpStatus.OK)
  async revoke(@Param('userId', new ZodValidationPipe(userIdSchema)) userId: UserId): Promise<RevokeResponse> {
    await this.requireUser(userId);
    const { ended, confirmation } = await this.revoker.revoke(userId, null, 'admin_revoke', { confirm: true });
    return { revokedSessions: ended.length, closedSockets: 0, nodes: [], unconfirmedNodes: [], ...confirmation };
  }

  /** As `revoke`, for one session of the user; 404 when it is not (or no longer) a live session of theirs. */
  @Post('sessions/:sessionId/revoke')
  @HttpCode(HttpStatus.OK)
  async revokeSession(
    @Param('userId', new ZodValidationPipe(userIdSchema)) userId: UserId,
    @Param('sessionId', new ZodValidationPipe(sessionIdSchema)) sessionId: SessionId,
  ): Promise<RevokeResponse> {
    await this.requireUser(userId);
    const { ended, confirmation } = await this.revoker.revoke(userId, [sessionId], 'admin_revoke', { confirm: true });
    if (ended.length === 0) throw new NotFoundException('No such session');
    return { revokedSessions: ended.length, closedSockets: 0, nodes: [], unconfirmedNodes: [], ...confirmation };
  }

  @Get('sessions')
  async sessionsOf(@Param('userId', new ZodValidationPipe(userIdSchema)) userId: UserId): Promise<SessionView[]> {
    await this.requireUser(userId);
    return (await this.sessions.list(userId)).map((record) => toSessionView(record));
  }

  /**
   * The user's live sockets on every gateway node, from the shared registry. A user of an external OpenID Provider
   * (its derived id) has no record here: it is known by its sockets.
   */
  @Get('connections')
  async connectionsOf(@Param('userId', new ZodValidationPipe(userIdSchema)) userId: UserId): Promise<ConnectionView[]> {
    if (!isExternalUserId(userId)) await this.requireUser(userId);
    const connections = await this.registry.connectionsOf(userId);
    return connections.map(({ nodeId, socketId, sessionId, connectedAt, transport, credentialExpiresAt }) => ({
      nodeId,
      socketId,
      sessionId,
      connectedAt: new Date(connectedAt).toISOString(),
      transport: transport ?? null,
      credentialExpiresAt: credentialExpiresAt === undefined ? null : new Date(credentialExpiresAt).toISOString(),
    }));
  }

  private async requireUser(userId: UserId): Promise<void> {
    if (!(await this.users.findById(userId))) throw new NotFoundException('Unknown user');
  }
}
