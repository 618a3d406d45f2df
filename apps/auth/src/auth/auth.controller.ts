import { Body, Controller, Get, HttpCode, HttpStatus, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { Principal } from '@app/authentication';
import {
  credentialsBodySchema,
  refreshBodySchema,
  type CredentialsBody,
  type LoginResponse,
  type MeResponse,
  type RefreshBody,
  type TokenPair,
  type UserView,
} from '@app/contracts';
import { ZodValidationPipe } from '@app/http';
import type { Request, Response } from 'express';
import { SessionRevoker } from '../revocation/session-revoker';
import { AuthService } from './auth.service';
import { CurrentPrincipal, SessionAuthGuard } from './session-auth.guard';
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

  @Post('logout')
  @UseGuards(SessionAuthGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  async logout(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.revoker.revoke(principal.userId, [principal.sessionId], 'logout');
    this.cookie.clear(response);
  }

  @Post('logout-all')
  @UseGuards(SessionAuthGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  async logoutAll(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.revoker.revoke(principal.userId, null, 'logout_all');
    this.cookie.clear(response);
  }

  @Get('me')
  @UseGuards(SessionAuthGuard)
  async me(@CurrentPrincipal() principal: Principal): Promise<MeResponse> {
    return this.auth.describe(principal);
  }
}
