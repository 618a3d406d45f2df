import type { LoginResponse, RevokeResponse, SessionEndReason, TokenPair } from '@app/contracts';
import { createTokenRefresher, RefreshRejectedError } from '@sessionwire/client';
import { decodeJwt } from 'jose';
import { errorCode, isIndefinite, type AuthApi, type Exchange } from './auth-api';
import type { Random } from './random';
import { SoakClient, type ClientTarget, type Transports } from './soak-client';
import { endReasons, SessionTokens, type OperationKind, type SoakSession, type SoakUser, type World } from './world';

export interface OperationSettings {
  /** Live sessions to keep around: logins are drawn more often below this number. */
  liveSessions: number;
  /** Mean of the exponentially distributed time before an operation may end a session. */
  sessionLifetimeMs: number;
  /** The cluster's per-user socket limit (policy `evict_oldest`). */
  maxConnectionsPerUser: number;
  /** The auth service's REFRESH_REUSE_GRACE (s): only tokens replaced longer ago than this are reuse. */
  refreshReuseGraceSeconds: number;
}

/** Operations in flight at most; the schedule skips a turn when this many are running. */
const MAX_IN_FLIGHT = 48;
/** Sockets an SDK session keeps open at most, besides bursts. */
const CLIENTS_PER_SESSION = 3;

/**
 * The soak's operations, drawn at random from the seeded stream and run concurrently. Operations that change a
 * user's sessions take the user (one at a time per user), so the model knows each one's exact effect.
 */
export class Operations {
  private inFlight = 0;
  private nextClientId = 1;
  private adminTokens?: SessionTokens;

  constructor(
    private readonly world: World,
    private readonly api: AuthApi,
    private readonly target: ClientTarget,
    private readonly random: Random,
    private readonly settings: OperationSettings,
    private readonly admin: { username: string; password: string },
  ) {}

  get running(): number {
    return this.inFlight;
  }

  async signInAdmin(): Promise<void> {
    const login = await this.api.call<LoginResponse>('POST', '/auth/login', { json: this.admin });
    if (login.status !== 200) throw new Error(`admin login answered ${login.status} ${JSON.stringify(login.body)}`);
    const body = login.body as LoginResponse;
    this.adminTokens = new SessionTokens({ accessToken: body.accessToken, refreshToken: body.refreshToken });
  }

  /** Draws one operation and starts it (not awaited). */
  startOne(): void {
    if (this.inFlight >= MAX_IN_FLIGHT) return;
    const kind = this.random.weighted(this.weights());
    const run = this.prepare(kind);
    if (!run) return;
    this.inFlight++;
    this.world.count(kind, 'started');
    run()
      .catch((error: Error) => this.world.anomaly('I5', `${kind} threw: ${error.stack ?? error.message}`))
      .finally(() => this.inFlight--);
  }

  /** Ends every client (end of the run). */
  closeAll(): void {
    for (const client of this.world.clients) if (!client.finished) client.close();
  }

  /** Settles every session whose end is still unknown (a quiet period wants a known model); false if some stay unknown. */
  async settlePending(): Promise<boolean> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const pending = this.world.sessions.filter((session) => session.pendingEnd);
      if (pending.length === 0) return true;
      for (const session of pending) await this.withUser(session.user, () => this.settle(session));
    }
    return false;
  }

  private weights(): Record<OperationKind, number> {
    const live = this.world.liveSessions().length;
    return {
      login: live < this.settings.liveSessions ? 8 : 0.5,
      connect: 4,
      disconnect: 1.5,
      chatter: 10,
      dm: 2,
      'http-refresh': 1.5,
      'refresh-reuse': 0.5,
      logout: 1.6,
      'logout-all': 0.5,
      'delete-session': 0.6,
      'admin-revoke': 0.4,
      'expiring-socket': 0.8,
      'connection-burst': 0.2,
      'revoked-handshake': 1,
    };
  }

  /** Chooses the operation's targets now (from the seeded stream); undefined when there is nothing to act on. */
  private prepare(kind: OperationKind): (() => Promise<void>) | undefined {
    const random = this.random;
    // A busy user may have an ending request in flight: nothing is added to its sessions meanwhile, since the model
    // cannot tell yet whether they are alive.
    const idle = (session: SoakSession) => !session.user.busy;
    const live = this.world.liveSessions().filter(idle);
    const now = Date.now();
    const endable = live.filter((session) => session.endableAt <= now);
    switch (kind) {
      case 'login': {
        const user = random.pick(this.world.users.filter((candidate) => !candidate.busy));
        const credential = random.chance(0.7) ? 'token' : 'cookie';
        const clients = random.int(1, 2);
        const lifetimeMs = -Math.log(1 - random.between(0, 1)) * this.settings.sessionLifetimeMs;
        return user && (() => this.withUser(user, () => this.login(user, credential, clients, lifetimeMs)));
      }
      case 'connect': {
        const session = random.pick(live.filter((candidate) => this.openClients(candidate) < CLIENTS_PER_SESSION));
        const transports = this.transports();
        return session && (async () => void this.open(session, transports));
      }
      case 'disconnect': {
        const client = random.pick(this.world.clients.filter((candidate) => candidate.kind === 'sdk' && !candidate.finished && !candidate.session.end));
        return client && (async () => client.close());
      }
      case 'chatter': {
        const client = random.pick(this.connectedClients());
        return client && (async () => client.chatter());
      }
      case 'dm': {
        const client = random.pick(this.connectedClients());
        const to = random.pick(this.world.users.filter((user) => user.id));
        return client && to && (async () => client.dm(to.id!));
      }
      case 'http-refresh': {
        const session = random.pick(live);
        return session && (() => this.withUser(session.user, () => this.httpRefresh(session)));
      }
      case 'refresh-reuse': {
        const horizon = Date.now() - (this.settings.refreshReuseGraceSeconds + 5) * 1000;
        const session = random.pick(endable.filter((candidate) => candidate.tokens.replaced.some((entry) => entry.replacedAt < horizon)));
        return session && (() => this.withUser(session.user, () => this.refreshReuse(session, horizon)));
      }
      case 'logout': {
        const session = random.pick(endable);
        return session && (() => this.withUser(session.user, () => this.logout(session)));
      }
      case 'logout-all': {
        const session = random.pick(endable);
        return session && (() => this.withUser(session.user, () => this.logoutAll(session)));
      }
      case 'delete-session': {
        const victim = random.pick(endable.filter((candidate) => this.liveOf(candidate.user).length >= 2));
        const caller = victim && random.pick(this.liveOf(victim.user).filter((candidate) => candidate !== victim));
        return caller && victim && (() => this.withUser(caller.user, () => this.deleteSession(caller, victim)));
      }
      case 'admin-revoke': {
        const user = random.pick(endable)?.user;
        return user && (() => this.withUser(user, () => this.adminRevoke(user)));
      }
      case 'expiring-socket': {
        const session = random.pick(live.filter((candidate) => candidate.credential === 'token' && this.expiryOf(candidate.tokens.get()?.accessToken) > Date.now() + 5000));
        const transports = this.transports();
        return session && (async () => this.openExpiring(session, transports));
      }
      case 'connection-burst': {
        const session = random.pick(live);
        const count = this.settings.maxConnectionsPerUser + random.int(1, 3);
        const transports = this.transports();
        return (
          session &&
          (async () => {
            for (let index = 0; index < count; index++) this.open(session, transports);
          })
        );
      }
      case 'revoked-handshake': {
        // Recently ended sessions, so that a token probe holds a token that has not expired yet: the refusal must say revoked.
        const session = random.pick(this.world.sessions.filter((candidate) => candidate.end && candidate.end.by < now && candidate.end.by > now - 20_000));
        const transports = this.transports();
        return session && (async () => this.probeRevoked(session, transports));
      }
    }
  }

  private async withUser(user: SoakUser, task: () => Promise<void>): Promise<void> {
    if (user.busy) return;
    user.busy = true;
    try {
      await task();
    } finally {
      user.busy = false;
    }
  }

  private transports(): Transports {
    const draw = this.random.int(1, 20);
    if (draw <= 14) return ['websocket', 'polling'];
    return draw <= 17 ? ['polling'] : ['websocket'];
  }

  private liveOf(user: SoakUser): SoakSession[] {
    return user.sessions.filter((session) => !session.end && !session.pendingEnd);
  }

  /** The live sessions and those whose end is unknown: an end of every session covers both. */
  private notEnded(user: SoakUser): SoakSession[] {
    return user.sessions.filter((session) => !session.end);
  }

  private openClients(session: SoakSession): number {
    return session.clients.filter((client) => client.kind === 'sdk' && !client.finished).length;
  }

  private connectedClients(): SoakClient[] {
    return this.world.clients.filter((client) => client.connected);
  }

  private open(session: SoakSession, transports: Transports): void {
    if (session.credential === 'token' && !session.tokens.get()) {
      const lastWords = session.clients.flatMap((client) => client.records.filter((record) => record.type === 'signedOut').map((record) => `client ${client.id}: ${JSON.stringify(record)}`));
      this.world.anomaly('I3', `a live session has no tokens left (sign-outs: ${lastWords.join('; ') || 'none'})`, session);
      return;
    }
    this.track(SoakClient.sdk(this.nextClientId++, session, transports, this.target));
  }

  private openExpiring(session: SoakSession, transports: Transports): void {
    const token = session.tokens.get()?.accessToken;
    if (!token) return;
    this.track(SoakClient.raw(this.nextClientId++, 'expiring', session, { token }, transports, this.target, this.expiryOf(token) / 1000));
  }

  /** I2: a fresh handshake with an ended session's last credential must be refused. */
  private probeRevoked(session: SoakSession, transports: Transports): void {
    const token = session.tokens.lastAccessToken;
    if (session.credential === 'cookie') this.track(SoakClient.raw(this.nextClientId++, 'probe', session, { cookie: session.cookie }, transports, this.target));
    else if (token) this.track(SoakClient.raw(this.nextClientId++, 'probe', session, { token }, transports, this.target, this.expiryOf(token) / 1000));
  }

  private track(client: SoakClient): void {
    client.session.clients.push(client);
    this.world.clients.push(client);
  }

  private async login(user: SoakUser, credential: 'token' | 'cookie', clients: number, lifetimeMs: number): Promise<void> {
    if (!user.id) {
      const registration = await this.api.call<{ id: string }>('POST', '/auth/register', { json: { username: user.username, password: user.password } });
      if (registration.status === 201) user.id = (registration.body as { id: string }).id;
      else if (registration.status !== 409) return this.outcome('login', registration);
    }
    const exchange = await this.api.call<LoginResponse>('POST', '/auth/login', { json: { username: user.username, password: user.password } });
    this.outcome('login', exchange);
    if (exchange.status !== 200) {
      if (!isIndefinite(exchange)) this.world.anomaly('I3', `login of ${user.username} answered ${exchange.status} ${errorCode(exchange) ?? ''}`);
      return;
    }
    const body = exchange.body as LoginResponse;
    user.id = body.user.id;
    const session: SoakSession = {
      id: body.sessionId,
      user,
      credential,
      cookie: exchange.cookie ?? '',
      tokens: new SessionTokens({ accessToken: body.accessToken, refreshToken: body.refreshToken, expiresAt: Date.now() + body.expiresIn * 1000 }),
      createdAt: exchange.answeredAt,
      endableAt: exchange.answeredAt + lifetimeMs,
      clients: [],
    };
    user.sessions.push(session);
    this.world.sessions.push(session);
    const transports = this.transports();
    for (let index = 0; index < clients; index++) this.open(session, transports);
  }

  /** Through the SDK's refresher for the session's store, as the app would: one refresh at a time per store. */
  private async httpRefresh(session: SoakSession): Promise<void> {
    if (!session.tokens.get()?.refreshToken) return;
    const sentAt = Date.now();
    try {
      await createTokenRefresher({ store: session.tokens, authBaseUrl: this.api.baseUrl })();
      this.world.count('http-refresh', 'succeeded');
    } catch (error) {
      if (!(error instanceof RefreshRejectedError)) return this.world.count('http-refresh', 'indefinite');
      this.world.count('http-refresh', 'refused');
      this.world.anomaly('I3', `http-refresh of a live session was refused: ${error.message}`, session);
      if (error.code === 'SESSION_REVOKED') this.world.ended(session, { after: sentAt, by: Date.now(), reasons: endReasons('session_revoked'), operation: 'http-refresh' });
    }
  }

  private async refreshReuse(session: SoakSession, horizon: number): Promise<void> {
    const old = session.tokens.replaced.find((entry) => entry.replacedAt < horizon);
    if (!old) return;
    const exchange = await this.api.call('POST', '/auth/refresh', { json: { refreshToken: old.refreshToken } });
    this.outcome('refresh-reuse', exchange);
    if (exchange.status === 401 && errorCode(exchange) === 'SESSION_REVOKED') return this.endedBy([session], exchange, 'refresh_reuse', 'refresh-reuse');
    if (isIndefinite(exchange)) return this.maybeEnded([session], exchange, 'refresh_reuse', 'refresh-reuse');
    this.world.anomaly('I2', `a refresh token replaced ${Math.round((exchange.sentAt - old.replacedAt) / 1000)} s earlier answered ${exchange.status} ${errorCode(exchange) ?? ''}, not SESSION_REVOKED`, session);
  }

  private async logout(session: SoakSession): Promise<void> {
    const exchange = await this.api.call('POST', '/auth/logout', await this.credentialOf(session));
    this.ending('logout', exchange, [session], 'logout', 204);
  }

  private async logoutAll(session: SoakSession): Promise<void> {
    const sessions = this.notEnded(session.user);
    const exchange = await this.api.call('POST', '/auth/logout-all', await this.credentialOf(session));
    this.ending('logout-all', exchange, sessions, 'logout_all', 204);
  }

  private async deleteSession(caller: SoakSession, victim: SoakSession): Promise<void> {
    const exchange = await this.api.call('DELETE', `/auth/sessions/${victim.id}`, await this.credentialOf(caller));
    this.ending('delete-session', exchange, [victim], 'session_revoked', 204);
  }

  private async adminRevoke(user: SoakUser): Promise<void> {
    const sessions = this.notEnded(user);
    const bearer = await this.adminToken();
    // The soak's own admin token could not be renewed (Redis away when it was due): no revoke this time.
    if (this.expiryOf(bearer) < Date.now() + 2000) return this.world.count('admin-revoke', 'indefinite');
    const exchange = await this.api.call<RevokeResponse>('POST', `/admin/users/${user.id}/revoke`, { bearer });
    this.ending('admin-revoke', exchange, sessions, 'admin_revoke', 200);
  }

  /** A cookie logout decides whether an earlier, indefinite ending took effect (401: it did; 204: it had not). */
  private async settle(session: SoakSession): Promise<void> {
    const pending = session.pendingEnd;
    if (!pending) return;
    this.world.count('logout', 'started');
    const exchange = await this.api.call('POST', '/auth/logout', { cookie: session.cookie });
    this.outcome('logout', exchange);
    // 204: it was still alive, and ended now; 401: the earlier request had ended it.
    if (exchange.status === 204) this.world.ended(session, { after: exchange.sentAt, by: exchange.answeredAt, reasons: endReasons('logout'), operation: 'logout' });
    else if (exchange.status === 401) this.world.ended(session, { ...pending, by: exchange.answeredAt, ambiguous: true });
  }

  /** The outcome of an operation meant to end `sessions` with `reason`. */
  private ending(kind: OperationKind, exchange: Exchange, sessions: SoakSession[], reason: SessionEndReason, okStatus: number): void {
    this.outcome(kind, exchange);
    if (exchange.status === okStatus) this.endedBy(sessions, exchange, reason, kind);
    else if (isIndefinite(exchange)) this.maybeEnded(sessions, exchange, reason, kind);
    else this.unexpectedEnd(sessions[0], kind, exchange);
  }

  /** A session whose end was unknown may have ended at the earlier request: its end lies between that one and this answer. */
  private endedBy(sessions: SoakSession[], exchange: Exchange, reason: SessionEndReason, operation: OperationKind): void {
    for (const session of sessions) {
      const pending = session.pendingEnd;
      const reasons = new Set([...endReasons(reason), ...(pending?.reasons ?? [])]);
      this.world.ended(session, { after: pending?.after ?? exchange.sentAt, by: exchange.answeredAt, reasons, operation, ambiguous: pending !== undefined });
    }
  }

  private maybeEnded(sessions: SoakSession[], exchange: Exchange, reason: SessionEndReason, operation: OperationKind): void {
    for (const session of sessions) {
      const earlier = session.pendingEnd;
      session.pendingEnd = { after: earlier?.after ?? exchange.sentAt, reasons: new Set([...endReasons(reason), ...(earlier?.reasons ?? [])]), operation };
    }
  }

  /**
   * A live session's request was refused, which the model does not allow. SESSION_REVOKED means the session is over
   * although nothing the soak did ended it; from then on the model treats it as ended (its sockets must close).
   */
  private unexpectedEnd(session: SoakSession, kind: OperationKind, exchange: Exchange): void {
    this.world.anomaly('I3', `${kind} of a live session answered ${exchange.status} ${errorCode(exchange) ?? ''}`, session);
    if (errorCode(exchange) === 'SESSION_REVOKED') this.world.ended(session, { after: exchange.sentAt, by: exchange.answeredAt, reasons: endReasons('session_revoked'), operation: kind });
  }

  private outcome(kind: OperationKind, exchange: Exchange): void {
    this.world.count(kind, exchange.status >= 200 && exchange.status < 300 ? 'succeeded' : isIndefinite(exchange) ? 'indefinite' : 'refused');
  }

  /** How a session authenticates an HTTP call: its bearer token (refreshed first if about to expire) or its cookie. */
  private async credentialOf(session: SoakSession): Promise<{ bearer?: string; cookie?: string }> {
    if (session.credential === 'cookie') return { cookie: session.cookie };
    if (this.expiryOf(session.tokens.get()?.accessToken) < Date.now() + 5000) await this.httpRefresh(session);
    return { bearer: session.tokens.get()?.accessToken };
  }

  private async adminToken(): Promise<string | undefined> {
    const tokens = this.adminTokens;
    if (!tokens) throw new Error('signInAdmin() first');
    if (this.expiryOf(tokens.get()?.accessToken) < Date.now() + 5000) {
      const refreshed = await this.api.call<TokenPair>('POST', '/auth/refresh', { json: { refreshToken: tokens.get()?.refreshToken } });
      const pair = refreshed.body as TokenPair;
      if (refreshed.status === 200) tokens.set({ accessToken: pair.accessToken, refreshToken: pair.refreshToken });
      else if (!isIndefinite(refreshed)) await this.signInAdmin();
    }
    return this.adminTokens?.get()?.accessToken;
  }

  /** The access token's `exp` in epoch ms (0 without a token). */
  private expiryOf(token: string | undefined): number {
    return token ? (decodeJwt(token).exp ?? 0) * 1000 : 0;
  }
}
