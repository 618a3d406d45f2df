import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Credential, Principal } from '@app/authentication';
import {
  confirmQuerySchema,
  credentialsBodySchema,
  refreshBodySchema,
  type CredentialsBody,
  type LoginResponse,
  type MeResponse,
  type RevocationConfirmation,
  type SessionId,
  type RefreshBody,
  type TokenPair,
  type UserView,
} from '@app/contracts';
import { ZodValidationPipe } from '@app/http';
import type { Request, Response } from 'express';
import { SessionRevoker } from '../revocation/session-revoker';
import { AuthService } from './auth.service';
import { CredentialGuard, CurrentCredential, CurrentPrincipal, SessionAuthGuard } from './session-auth.guard';
import { SessionCookie } from './session-cookie';

@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly revoker: SessionRevoker,
    private readonly cookie: SessionCookie,
  ) {}

  @Post('register')
  register(@Body(new ZodValidationPipe(credentialsBodySchema)) body: CredentialsBody): Promise<Pick<UserView, 'id' | 'username'>> {
    return this.auth.register(body);
  }

  @Post('login')
  @HttpCode(HttpStatus.OK)
  async login(
    @Body(new ZodValidationPipe(credentialsBodySchema)) body: CredentialsBody,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<LoginResponse> {
    const outcome = await this.auth.login(body, { ip: request.ip ?? 'unknown', userAgent: request.get('user-agent') ?? '' });
    this.cookie.set(response, { userId: outcome.session.userId, sessionId: outcome.session.sessionId, secret: outcome.cookieSecret }, outcome.session.expiresAt);
    return outcome.response;
  }

  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  refresh(@Body(new ZodValidationPipe(refreshBodySchema)) body: RefreshBody): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken);
  }

  /** 204 at once; with `?confirm=true`, 200 with every live gateway's count of closed sockets. */
  @Post('logout')
  @UseGuards(CredentialGuard)
  async logout(
    @CurrentCredential() credential: Credential,
    @Query('confirm', new ZodValidationPipe(confirmQuerySchema)) confirm: boolean,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RevocationConfirmation | undefined> {
    return this.endOwnSessions(credential, [credential.sessionId], 'logout', confirm, response);
  }

  /** As logout, for every session of the user. */
  @Post('logout-all')
  @UseGuards(CredentialGuard)
  async logoutAll(
    @CurrentCredential() credential: Credential,
    @Query('confirm', new ZodValidationPipe(confirmQuerySchema)) confirm: boolean,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RevocationConfirmation | undefined> {
    return this.endOwnSessions(credential, null, 'logout_all', confirm, response);
  }

  @Get('me')
  @UseGuards(SessionAuthGuard)
  async me(@CurrentPrincipal() principal: Principal): Promise<MeResponse> {
    return this.auth.describe(principal);
  }

  /** The caller ends its own session(s); the session-end script proves the caller is still alive. */
  private async endOwnSessions(
    credential: Credential,
    sessionIds: SessionId[] | null,
    reason: 'logout' | 'logout_all',
    confirm: boolean,
    response: Response,
  ): Promise<RevocationConfirmation | undefined> {
    const { confirmation } = await this.revoker.revoke(credential.userId, sessionIds, reason, { confirm, caller: credential });
    this.cookie.clear(response);
    response.status(confirmation ? HttpStatus.OK : HttpStatus.NO_CONTENT);
    return confirmation;
  }
}
