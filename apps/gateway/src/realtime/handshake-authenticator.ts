import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuthenticationFailure, authenticateRequest, principalOf, sessionEnded } from '@app/authentication';
import type { HandshakeErrorCode } from '@app/contracts';
import { isRedisUnavailableError } from '@app/redis';
import { parse as parseCookieHeader } from 'cookie';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { ExtendedError } from 'socket.io';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { RegistryWriter } from '../registry/registry-writer';
import { RecentEnds } from '../revocation/recent-ends';
import { rooms, type GatewaySocket, type SocketData } from '../sockets/socket-types';
import { NodeDrain } from './node-drain';

class HandshakeRefused extends Error {
  constructor(readonly code: HandshakeErrorCode, message: string) {
    super(message);
  }
}

/**
 * Authenticates a socket once, before Socket.IO accepts it (Nest guards do not run at connection time):
 * verify the credential (no Redis), then one Redis script that proves and touches its session and records the
 * socket (enforcing the per-user limit). A logout landing before the script refuses the socket; one landing
 * after it finds its registry entry and its rooms.
 */
@Injectable()
export class HandshakeAuthenticator {
  private readonly logger = new Logger(HandshakeAuthenticator.name);
  private readonly perIp: RateLimiterMemory;
  private readonly trustProxy: ReturnType<typeof proxyAddr.compile>;

  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    private readonly registry: RegistryWriter,
    private readonly metrics: GatewayMetrics,
    private readonly recentEnds: RecentEnds,
    private readonly drain: NodeDrain,
  ) {
    this.perIp = new RateLimiterMemory({ points: config.handshake.limitPerIp, duration: config.handshake.limitWindowSeconds });
    this.trustProxy = proxyAddr.compile(config.trustProxy.split(',').map((entry) => entry.trim()));
  }

  /** Socket.IO middleware; a refusal reaches the client as `connect_error` with `message` = the code. */
  middleware() {
    return (socket: GatewaySocket, next: (error?: ExtendedError) => void): void => {
      this.authenticate(socket).then(
        () => {
          this.metrics.handshake('accepted');
          next();
        },
        (error: unknown) => {
          const refusal = this.toRefusal(error);
          this.metrics.handshake(refusal.code);
          this.logger.debug?.(`Handshake refused (${refusal.code}): ${refusal.message}`);
          const connectError: ExtendedError = new Error(refusal.code);
          connectError.data = { code: refusal.code, message: refusal.message };
          next(connectError);
        },
      );
    };
  }

  private async authenticate(socket: GatewaySocket): Promise<void> {
    if (this.drain.draining) throw new HandshakeRefused('UNAVAILABLE', 'This node is shutting down; connect again');
    await this.admitIp(socket.request);
    const credential = await authenticateRequest(this.credentialHeaders(socket));
    const connectedAt = Date.now();
    const admission = await this.registry.admit(
      this.registry.connection(socket.id, { userId: credential.userId, sessionId: credential.sessionId, connectedAt }),
      credential.cookieHash,
    );
    if (!admission.accepted) {
      if (admission.reason === 'session_ended') throw sessionEnded(credential);
      throw new HandshakeRefused('TOO_MANY_CONNECTIONS', `At most ${this.config.connectionLimit.perUser} connections per user`);
    }
    const principal = principalOf(credential, admission.session);
    const data: SocketData = {
      userId: principal.userId,
      sessionId: principal.sessionId,
      roles: principal.roles,
      sessionData: principal.session.data,
      connectedAt,
      credentialExpiresAt: principal.credentialExpiresAt,
    };
    this.recentEnds.evict(admission.evicted);
    // No I/O callback runs between the admit reply and the socket joining its rooms, so a logout message read
    // after the reply finds the socket. One read before it (the two arrive on different connections) is
    // remembered by RecentEnds, which checks the socket once it is connected.
    socket.data = data;
    await socket.join([rooms.user(data.userId), rooms.session(data.sessionId)]);
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
   * The credential, in order: `auth.token`, `Authorization: Bearer`, the session cookie, `?token=` (only when
   * enabled). Exactly one is handed to the strategies, as a bearer header or as the cookie.
   */
  private credentialHeaders(socket: GatewaySocket): IncomingHttpHeaders {
    const { auth, headers, query } = socket.handshake;
    if (auth.token !== undefined) {
      if (typeof auth.token !== 'string' || auth.token.length === 0) throw new AuthenticationFailure('UNAUTHORIZED', 'auth.token must be a non-empty string');
      return { authorization: `Bearer ${auth.token}` };
    }
    if (headers.authorization) return { authorization: headers.authorization };
    const cookie = parseCookieHeader(headers.cookie ?? '')[this.config.cookie.name];
    if (cookie) return { cookie: `${this.config.cookie.name}=${cookie}` };
    if (this.config.handshake.allowQueryToken && typeof query.token === 'string') return { authorization: `Bearer ${query.token}` };
    throw new AuthenticationFailure('UNAUTHORIZED', 'No credentials: pass auth.token, an Authorization header or the session cookie');
  }

  private toRefusal(error: unknown): HandshakeRefused {
    if (error instanceof HandshakeRefused) return error;
    if (error instanceof AuthenticationFailure) return new HandshakeRefused(error.code, error.message);
    if (isRedisUnavailableError(error)) return new HandshakeRefused('UNAVAILABLE', 'Session store unavailable, retry shortly');
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return new HandshakeRefused('UNAVAILABLE', 'Handshake failed on the server, retry shortly');
  }
}
