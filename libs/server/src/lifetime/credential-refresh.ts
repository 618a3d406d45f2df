import { CredentialRefusal, principalOf, sessionEndedRefusal, VerificationKeysUnavailable, type CredentialVerifier, type ExternalCredential, type OwnCredential } from '@app/authentication';
import { authRefreshPayloadSchema, type Ack, type ErrorCode } from '@app/contracts';
import { isRedisUnavailableError } from '@app/redis';
import type { SessionStore } from '@app/sessions';
import type { CredentialExpiry } from './credential-expiry';
import type { ExternalSessionEnds } from '../registry/external-session-ends';
import type { RegistryWriter } from '../registry/registry-writer';
import type { SessionwireLogger } from '../config/logger';
import type { WireSocket } from '../sockets/socket-types';

class RefreshRefused extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * In-band token refresh (`auth:refresh`): a fresh access token of this same session moves the socket's expiry
 * forward. Anything else (another user or session, an expired or revoked token) is refused and changes nothing.
 * Answered through the ack as `{ok: true, exp}` or `{ok: false, error: {code, message}}`; without an ack, a failure
 * is emitted as `exception` `{code, message}`, as every event of the sessionwire gateway.
 */
export class CredentialRefresh {
  /** One listener for every socket (EventEmitter calls it with the socket as `this`): no closure per idle socket. */
  private readonly onRefresh: (this: WireSocket, payload: unknown, ack?: unknown) => void;

  constructor(
    private readonly verifier: CredentialVerifier,
    private readonly sessions: SessionStore,
    private readonly externalEnds: ExternalSessionEnds,
    private readonly expiry: CredentialExpiry,
    private readonly registry: RegistryWriter,
    private readonly logger: SessionwireLogger,
  ) {
    const answer = (socket: WireSocket, payload: unknown, ack: unknown) => this.answer(socket, payload, ack);
    this.onRefresh = function (this: WireSocket, payload: unknown, ack?: unknown) {
      answer(this, payload, ack);
    };
  }

  listen(socket: WireSocket): void {
    socket.on('auth:refresh', this.onRefresh);
  }

  private answer(socket: WireSocket, payload: unknown, ack: unknown): void {
    this.refresh(socket, payload).then(
      (exp) => {
        if (typeof ack === 'function') (ack as (reply: Ack<{ exp: number }>) => void)({ ok: true, exp });
      },
      (error: unknown) => {
        const refusal = this.toError(error);
        if (typeof ack === 'function') (ack as (reply: Ack) => void)({ ok: false, error: refusal });
        else (socket as unknown as { emit(event: string, payload: unknown): void }).emit('exception', refusal);
      },
    );
  }

  private async refresh(socket: WireSocket, payload: unknown): Promise<number> {
    const parsed = authRefreshPayloadSchema.safeParse(payload);
    if (!parsed.success) {
      throw new RefreshRefused('INVALID_INPUT', parsed.error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; '));
    }
    const credential = await this.verifier.verify({ authorization: `Bearer ${parsed.data.token}` });
    const { expiresAt, roles } = credential.kind === 'external_token' ? await this.externalRefresh(socket, credential) : await this.ownRefresh(socket, credential);
    socket.data.credentialExpiresAt = expiresAt;
    socket.data.roles = roles;
    this.expiry.watch(socket);
    if (socket.connected) this.registry.update(socket);
    return Math.floor(expiresAt / 1000);
  }

  private async ownRefresh(socket: WireSocket, credential: OwnCredential): Promise<{ expiresAt: number; roles: string[] }> {
    const session = await this.sessions.touch(credential.userId, credential.sessionId, credential.cookieHash);
    if (!session) throw sessionEndedRefusal(credential);
    const principal = principalOf(credential, session);
    if (principal.userId !== socket.data.userId || principal.sessionId !== socket.data.sessionId) {
      throw new RefreshRefused('UNAUTHORIZED', 'The token belongs to another session');
    }
    return { expiresAt: principal.credentialExpiresAt, roles: principal.roles };
  }

  /** A token of the same issuer, user and provider session, which must not have ended. */
  private async externalRefresh(socket: WireSocket, credential: ExternalCredential): Promise<{ expiresAt: number; roles: string[] }> {
    if (credential.issuer !== socket.data.issuer || credential.userId !== socket.data.userId || credential.sessionId !== socket.data.sessionId) {
      throw new RefreshRefused('UNAUTHORIZED', 'The token belongs to another session');
    }
    const [ended] = await this.externalEnds.whichEnded([{ userId: credential.userId, sessionId: credential.sessionId, sessionStartedAt: socket.data.sessionStartedAt }]);
    if (ended) {
      // The records of the end outlive this token (a failure leaves the refusal standing).
      await this.externalEnds
        .coverToken(credential, credential.issuer, credential.expiresAt)
        .catch((error: Error) => this.logger.warn(`Could not extend the end records of session ${credential.sessionId}: ${error.message}`));
      throw sessionEndedRefusal(credential);
    }
    return { expiresAt: credential.expiresAt, roles: credential.roles };
  }

  private toError(error: unknown): { code: ErrorCode; message: string } {
    if (error instanceof RefreshRefused || error instanceof CredentialRefusal) return { code: error.code, message: error.message };
    if (isRedisUnavailableError(error)) return { code: 'UNAVAILABLE', message: 'Session store unavailable, retry shortly' };
    if (error instanceof VerificationKeysUnavailable) return { code: 'UNAVAILABLE', message: error.message };
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return { code: 'INTERNAL', message: 'Internal error' };
  }
}
