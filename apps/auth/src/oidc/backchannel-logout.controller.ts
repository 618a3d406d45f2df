import { Controller, HttpCode, HttpStatus, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { endedSessionTtlSeconds } from '@app/oidc';
import { isRedisUnavailableError } from '@app/redis';
import { DuplicateEventError } from '@sessionwire/revoke';
import type { Request, Response } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { AuthMetrics, type BackchannelLogoutResult } from '../metrics/auth-metrics';
import { SessionRevoker } from '../revocation/session-revoker';
import { BackchannelLogoutRefusal, IssuerKeysUnavailableError, replayedLogoutToken } from './backchannel-logout-errors';
import { BackchannelLogoutExceptionFilter } from './backchannel-logout-exception.filter';
import { readLogoutToken } from './logout-request';
import { LogoutTokenVerifier, type VerifiedLogoutToken } from './logout-token.verifier';

/**
 * `POST /oidc/backchannel-logout`: OpenID Connect Back-Channel Logout 1.0. A provider in `OIDC_ISSUERS` (with a
 * `clientId`) posts a logout token; once it is valid, the end is recorded and announced (`user-logged-out` v2) and
 * every socket of the provider session (or, with only `sub`, of the user) closes. Server to server: no cookie is read
 * and no Origin is asked for; the signed token is the only credential.
 */
@Controller('oidc')
@UseFilters(BackchannelLogoutExceptionFilter)
export class BackchannelLogoutController {
  constructor(
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    private readonly logger: PinoLogger,
    private readonly verifier: LogoutTokenVerifier,
    private readonly revoker: SessionRevoker,
    private readonly metrics: AuthMetrics,
  ) {}

  @Post('backchannel-logout')
  @HttpCode(HttpStatus.OK)
  async receive(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    response.setHeader('Cache-Control', 'no-store');
    let token: VerifiedLogoutToken | undefined;
    try {
      token = await this.verifier.verify(await readLogoutToken(request, this.config.http.bodyLimitBytes));
      const { messageId } = await this.end(token);
      this.observe('ended', token, { messageId });
    } catch (error) {
      this.observe(resultOf(error), token, { reason: (error as Error).message });
      throw error;
    }
  }

  /** Records the end and publishes it, once per `jti`: a replay, or a token racing its own copy, is refused. */
  private async end({ issuer, jti, subject, providerSessionId, issuedAt }: VerifiedLogoutToken): Promise<{ messageId: string }> {
    try {
      return await this.revoker.endProviderSessions({
        issuer: issuer.issuer,
        subject,
        providerSessionId,
        // The provider's clock, as the session starts (`auth_time`) it is compared with; to the end of that second,
        // their grain: a session started in the same second as the logout is ended.
        endedAt: issuedAt * 1000 + 999,
        ttlSeconds: endedSessionTtlSeconds(issuer),
        eventId: jti,
      });
    } catch (error) {
      if (error instanceof DuplicateEventError) throw replayedLogoutToken();
      throw error;
    }
  }

  /**
   * The metric, and the outcome on the request's own log line ("request completed", at the level of its status):
   * one line per request, never the token nor the user's ids.
   */
  private observe(result: BackchannelLogoutResult, token: VerifiedLogoutToken | undefined, details: { messageId?: string; reason?: string }): void {
    this.metrics.backchannelLogout(result);
    this.logger.assign({
      backchannelLogout: {
        result,
        issuer: token?.issuer.name,
        sid: token ? token.providerSessionId !== null : undefined,
        sub: token ? token.subject !== null : undefined,
        ...details,
      },
    });
  }
}

function resultOf(error: unknown): BackchannelLogoutResult {
  if (error instanceof BackchannelLogoutRefusal) return error.result;
  if (error instanceof IssuerKeysUnavailableError || isRedisUnavailableError(error)) return 'unavailable';
  return 'error';
}
