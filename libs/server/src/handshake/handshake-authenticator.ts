import { CredentialRefusal, CredentialVerifier, principalOf, sessionEndedRefusal, VerificationKeysUnavailable, type Credential, type ExternalCredential, type OwnCredential } from '@app/authentication';
import { MAX_ACCESS_TOKEN_LENGTH, type HandshakeErrorCode } from '@app/contracts';
import { isRedisUnavailableError } from '@app/redis';
import { parse as parseCookieHeader } from 'cookie';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { ExtendedError } from 'socket.io';
import type { SessionwireLogger } from '../config/logger';
import { offeredProtocols, subprotocolToken } from './subprotocol-carrier';
import type { WireMetrics } from '../sockets/metrics';
import type { RecentEnds } from '../revocation/recent-ends';
import { transportOf, type RegistryWriter } from '../registry/registry-writer';
import type { Connection } from '@app/registry';
import { sessionwireRooms, type JsonValue, type SessionwireSocketData, type WireSocket } from '../sockets/socket-types';

class HandshakeRefused extends Error {
  constructor(
    readonly code: HandshakeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface HandshakeConfig {
  /** The auth service's issuer (undefined when its tokens are not accepted). */
  accessTokens: { issuer: string } | undefined;
  cookieName: string | undefined;
  allowQueryToken: boolean;
  trustProxy: string[];
  handshakeRateLimit: { perIp: number; windowSeconds: number };
  connectionLimit: { perUser: number };
}

/**
 * Authenticates a socket once, before Socket.IO accepts it: verify the credential (no Redis), then one Redis script
 * that proves and touches its session and records the socket (enforcing the per-user limit). A logout landing before
 * the script refuses the socket; one landing after it finds its registry entry and its rooms.
 */
export class HandshakeAuthenticator {
  private readonly perIp: RateLimiterMemory;
  private readonly trustProxy: ReturnType<typeof proxyAddr.compile>;

  constructor(
    private readonly config: HandshakeConfig,
    private readonly verifier: CredentialVerifier,
    private readonly registry: RegistryWriter,
    private readonly metrics: WireMetrics,
    private readonly recentEnds: RecentEnds,
    /** Why no socket may be admitted now (draining, closed), or undefined. */
    private readonly unavailable: () => string | undefined,
    private readonly logger: SessionwireLogger,
  ) {
    this.perIp = new RateLimiterMemory({ points: config.handshakeRateLimit.perIp, duration: config.handshakeRateLimit.windowSeconds });
    this.trustProxy = proxyAddr.compile(config.trustProxy);
  }

  /** Socket.IO middleware; a refusal reaches the client as `connect_error` with `message` = the code. */
  middleware() {
    return (socket: WireSocket, next: (error?: ExtendedError) => void): void => {
      const startedAt = performance.now();
      const seconds = () => (performance.now() - startedAt) / 1000;
      this.authenticate(socket).then(
        () => {
          this.metrics.handshake('accepted', seconds());
          next();
        },
        (error: unknown) => {
          const refusal = this.toRefusal(error);
          this.metrics.handshake(refusal.code, seconds());
          this.logger.debug?.(`Handshake refused (${refusal.code}): ${refusal.message}`);
          const connectError: ExtendedError = new Error(refusal.code);
          connectError.data = { code: refusal.code, message: refusal.message };
          next(connectError);
        },
      );
    };
  }

  private async authenticate(socket: WireSocket): Promise<void> {
    const unavailable = this.unavailable();
    if (unavailable) throw new HandshakeRefused('UNAVAILABLE', unavailable);
    await this.admitIp(socket.request);
    const credential = await this.verifier.verify(this.credentialHeaders(socket));
    forgetAuthToken(socket);
    const connectedAt = Date.now();
    const { data, evicted } = credential.kind === 'external_token' ? await this.admitExternal(socket, credential, connectedAt) : await this.admitOwn(socket, credential, connectedAt);
    this.recentEnds.evict(evicted);
    // No I/O callback runs between the admit reply and the socket joining its rooms, so a logout message read
    // after the reply finds the socket. One read before it (the two arrive on different connections) is
    // remembered by RecentEnds, which checks the socket once it is connected.
    socket.data = data;
    if (credential.kind === 'session_cookie') this.registry.update(socket);
    await socket.join([sessionwireRooms.user(data.userId), sessionwireRooms.session(data.sessionId)]);
  }

  private async admitOwn(socket: WireSocket, credential: OwnCredential, connectedAt: number): Promise<{ data: SessionwireSocketData; evicted: Connection[] }> {
    const admission = await this.registry.admit(
      // A cookie's expiry is its session's end, known after the admission: its entry gets it then.
      this.registry.connection(socket.id, { userId: credential.userId, sessionId: credential.sessionId, connectedAt, credentialExpiresAt: credential.expiresAt ?? undefined }, transportOf(socket)),
      credential.cookieHash,
    );
    if (!admission.accepted) throw this.refusalOf(admission.reason, credential);
    const principal = principalOf(credential, admission.session);
    const data: SessionwireSocketData = {
      userId: principal.userId,
      sessionId: principal.sessionId,
      roles: principal.roles,
      // A cookie or token of the auth service is verified only when `accessTokens` is set.
      issuer: this.config.accessTokens?.issuer ?? '',
      subject: principal.userId,
      providerSessionId: null,
      sessionStartedAt: principal.session.createdAt,
      sessionData: principal.session.data as Record<string, JsonValue>,
      connectedAt,
      credentialExpiresAt: principal.credentialExpiresAt,
    };
    return { data, evicted: admission.evicted };
  }

  /** An external provider's session has no record: alive unless its end is recorded; no session data. */
  private async admitExternal(socket: WireSocket, credential: ExternalCredential, connectedAt: number): Promise<{ data: SessionwireSocketData; evicted: Connection[] }> {
    const admission = await this.registry.admitExternal(
      this.registry.connection(socket.id, { userId: credential.userId, sessionId: credential.sessionId, connectedAt, credentialExpiresAt: credential.expiresAt }, transportOf(socket)),
      credential,
    );
    if (!admission.accepted) throw this.refusalOf(admission.reason, credential);
    const data: SessionwireSocketData = {
      userId: credential.userId,
      sessionId: credential.sessionId,
      roles: credential.roles,
      issuer: credential.issuer,
      subject: credential.subject,
      providerSessionId: credential.providerSessionId,
      sessionStartedAt: credential.sessionStartedAt,
      sessionData: {},
      connectedAt,
      credentialExpiresAt: credential.expiresAt,
    };
    return { data, evicted: admission.evicted };
  }

  private refusalOf(reason: 'session_ended' | 'limit_reached', credential: Credential): Error {
    if (reason === 'session_ended') return sessionEndedRefusal(credential);
    return new HandshakeRefused('TOO_MANY_CONNECTIONS', `At most ${this.config.connectionLimit.perUser} connections per user`);
  }

  private async admitIp(request: IncomingMessage): Promise<void> {
    try {
      await this.perIp.consume(proxyAddr(request, this.trustProxy));
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw new HandshakeRefused('RATE_LIMITED', `Too many connection attempts; retry in ${Math.ceil(rejection.msBeforeNext / 1000)} s`);
      }
      throw rejection;
    }
  }

  /**
   * The credential, in order: `auth.token`, `Authorization: Bearer`, a `sessionwire.bearer.<token>` protocol offered
   * in `Sec-WebSocket-Protocol` (only on a connection opened as a WebSocket: a polling request has no such carrier),
   * the session cookie (when `cookieName` is set), `?token=` (only when enabled). Exactly one is handed to the
   * strategies, as a bearer header or as the cookie.
   */
  private credentialHeaders(socket: WireSocket): IncomingHttpHeaders {
    const { auth, headers, query } = socket.handshake;
    const { cookieName } = this.config;
    if (auth.token !== undefined) {
      if (typeof auth.token !== 'string' || auth.token.length === 0) throw new CredentialRefusal('UNAUTHORIZED', 'auth.token must be a non-empty string');
      return bearer(auth.token);
    }
    if (headers.authorization) return bearer(headers.authorization.replace(/^Bearer /i, ''), headers.authorization);
    // Engine.IO opens a `transport=websocket` session only from an upgrade request, so these are its headers.
    const protocolToken = query.transport === 'websocket' ? subprotocolToken(offeredProtocols(headers['sec-websocket-protocol'])) : undefined;
    if (protocolToken !== undefined) return bearer(protocolToken);
    const cookie = cookieName === undefined ? undefined : parseCookieHeader(headers.cookie ?? '')[cookieName];
    if (cookie) return { cookie: `${cookieName}=${cookie}` };
    if (this.config.allowQueryToken && typeof query.token === 'string') return bearer(query.token);
    throw new CredentialRefusal(
      'UNAUTHORIZED',
      `No credentials: pass auth.token, an Authorization header, the sessionwire.bearer.<token> WebSocket protocol${cookieName === undefined ? '' : ' or the session cookie'}`,
    );
  }

  private toRefusal(error: unknown): HandshakeRefused {
    if (error instanceof HandshakeRefused) return error;
    if (error instanceof CredentialRefusal) return new HandshakeRefused(error.code, error.message);
    if (error instanceof VerificationKeysUnavailable) return new HandshakeRefused('UNAVAILABLE', error.message);
    if (isRedisUnavailableError(error)) return new HandshakeRefused('UNAVAILABLE', 'Session store unavailable, retry shortly');
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return new HandshakeRefused('UNAVAILABLE', 'Handshake failed on the server, retry shortly');
  }
}

/** A bearer token from any carrier, refused before it is decoded when longer than any access token a socket takes. */
function bearer(token: string, authorization = `Bearer ${token}`): IncomingHttpHeaders {
  if (token.length > MAX_ACCESS_TOKEN_LENGTH) throw new CredentialRefusal('UNAUTHORIZED', `The access token is longer than ${MAX_ACCESS_TOKEN_LENGTH} characters`);
  return { authorization };
}

/**
 * Once verified, the socket keeps no copy of its bearer token (the app's other `auth` fields stay): the copy would go
 * stale at the first `auth:refresh` and is one more place a credential could leak from, and each idle socket would
 * hold its ~600 bytes for its whole life.
 */
function forgetAuthToken(socket: WireSocket): void {
  delete socket.handshake.auth.token;
}
