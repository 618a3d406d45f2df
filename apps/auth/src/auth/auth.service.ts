import { ConflictException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { AuthenticationFailure, type Principal } from '@app/authentication';
import { createUserLoggedOut, type CredentialsBody, type LoginResponse, type MeResponse, type TokenPair, type UserView } from '@app/contracts';
import { formatRefreshToken, parseRefreshToken, SessionStore, type SessionRecord } from '@app/sessions';
import { AccessTokenIssuer } from '@app/tokens';
import { PasswordHasher } from '../users/password-hasher';
import { UserRepository } from '../users/user.repository';
import { AuthMetrics } from '../metrics/auth-metrics';
import { LoginLimiter, TooManyLoginAttemptsException } from '../login-limits/login-limiter';

export interface LoginContext {
  ip: string;
  userAgent: string;
}

export interface LoginOutcome {
  response: LoginResponse;
  session: SessionRecord;
  cookieSecret: string;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionStore,
    private readonly tokens: AccessTokenIssuer,
    private readonly limiter: LoginLimiter,
    private readonly metrics: AuthMetrics,
  ) {}

  async register({ username, password }: CredentialsBody): Promise<Pick<UserView, 'id' | 'username'>> {
    const user = await this.users.create(username, await this.hasher.hash(password), ['user']);
    if (!user) throw new ConflictException(`Username "${username}" is taken`);
    return { id: user.id, username: user.username };
  }

  async login({ username, password }: CredentialsBody, context: LoginContext): Promise<LoginOutcome> {
    try {
      await this.limiter.admit(context.ip, username);
    } catch (error) {
      if (error instanceof TooManyLoginAttemptsException) this.metrics.login('rate_limited');
      throw error;
    }
    const user = await this.users.findByUsername(username);
    const valid = user ? await this.hasher.verify(user.passwordHash, password) : await this.hasher.verifyNothing(password);
    if (!user || !valid) {
      this.metrics.login('invalid_credentials');
      throw new UnauthorizedException('Invalid username or password');
    }
    await this.limiter.recordSuccess(context.ip, username);
    if (this.hasher.isOutdated(user.passwordHash)) await this.users.updatePasswordHash(user.id, await this.hasher.hash(password));

    const { record, cookieSecret, refreshSecret } = await this.sessions.create({ userId: user.id, roles: user.roles, ...context });
    const access = await this.tokens.issue(record);
    this.metrics.login('success');
    return {
      session: record,
      cookieSecret,
      response: {
        accessToken: access.token,
        refreshToken: formatRefreshToken({ userId: user.id, sessionId: record.sessionId, secret: refreshSecret }),
        expiresIn: access.expiresIn,
        sessionId: record.sessionId,
        user: { id: user.id, username: user.username, roles: user.roles },
      },
    };
  }

  async describe(principal: Principal): Promise<MeResponse> {
    const user = await this.users.findById(principal.userId);
    if (!user) throw new AuthenticationFailure('SESSION_REVOKED', 'The user of this session no longer exists');
    return { id: user.id, username: user.username, roles: principal.roles, sessionId: principal.sessionId, sessionData: principal.session.data };
  }

  /**
   * Rotates the refresh token. Presenting one that was already rotated ends the session (reuse detection), except
   * the one rotated away last within REFRESH_REUSE_GRACE: it gets the current refresh token (concurrent refreshes,
   * or a replay of a stolen previous token: hence the log line and the counter).
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const holder = parseRefreshToken(refreshToken);
    if (!holder) {
      this.metrics.refresh('invalid');
      throw new AuthenticationFailure('UNAUTHORIZED', 'Malformed refresh token');
    }
    const reuseAnnouncement = createUserLoggedOut(holder.userId, [holder.sessionId], 'refresh_reuse');
    const rotation = await this.sessions.rotateRefresh(holder.userId, holder.sessionId, holder.secret, reuseAnnouncement);
    if (rotation.outcome === 'reused') {
      this.metrics.refresh('reuse');
      this.metrics.sessionsEndedBy('refresh_reuse', 1);
      throw new AuthenticationFailure('SESSION_REVOKED', 'Refresh token reuse detected: the session has been ended');
    }
    if (rotation.outcome === 'invalid') {
      this.metrics.refresh('invalid');
      throw new AuthenticationFailure('UNAUTHORIZED', 'Refresh token is not valid');
    }
    this.metrics.refresh(rotation.outcome);
    if (rotation.outcome === 'grace') {
      this.logger.log(
        { userId: holder.userId, sessionId: holder.sessionId },
        'Refresh reuse grace: the refresh token rotated away last was presented again and answered with the current one',
      );
    }
    const access = await this.tokens.issue(rotation.record);
    return {
      accessToken: access.token,
      refreshToken: formatRefreshToken({ userId: holder.userId, sessionId: holder.sessionId, secret: rotation.refreshSecret }),
      expiresIn: access.expiresIn,
    };
  }
}
