import { Controller, Delete, Get, HttpCode, HttpStatus, NotFoundException, Param, Res, UseGuards } from '@nestjs/common';
import type { Principal } from '@app/authentication';
import { sessionIdSchema, type SessionId, type SessionView } from '@app/contracts';
import { ZodValidationPipe } from '@app/http';
import { SessionStore } from '@app/sessions';
import type { Response } from 'express';
import { CurrentPrincipal, SessionAuthGuard } from '../auth/session-auth.guard';
import { SessionCookie } from '../auth/session-cookie';
import { SessionRevoker } from '../revocation/session-revoker';
import { toSessionView } from './session-view';

/** A user's own sessions: list them, end one (e.g. "sign out that laptop"). */
@Controller('auth/sessions')
@UseGuards(SessionAuthGuard)
export class SessionsController {
  constructor(
    private readonly sessions: SessionStore,
    private readonly revoker: SessionRevoker,
    private readonly cookie: SessionCookie,
  ) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal): Promise<SessionView[]> {
    const records = await this.sessions.list(principal.userId);
    return records.map((record) => toSessionView(record, principal.sessionId));
  }

  @Delete(':sessionId')
  @HttpCode(HttpStatus.NO_CONTENT)
  async end(
    @CurrentPrincipal() principal: Principal,
    @Param('sessionId', new ZodValidationPipe(sessionIdSchema)) sessionId: SessionId,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    // Keys are derived from the caller's own user id, so another user's session id simply is not found.
    const { ended } = await this.revoker.revoke(principal.userId, [sessionId], 'session_revoked');
    if (ended.length === 0) throw new NotFoundException('No such session');
    if (sessionId === principal.sessionId) this.cookie.clear(response);
  }
}
