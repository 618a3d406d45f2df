import type { AnyUserLoggedOut, SessionEndReason, SessionId, SocketEndReason, SocketEviction, UserId } from '@app/contracts';
import { externalSessionId, externalUserId } from '@app/oidc';
import type { SessionStore } from '@app/sessions';
import type { ForcedLogout } from '../sockets/forced-logout';
import type { LocalSockets } from '../sockets/local-sockets';
import type { SessionwireLogger } from '../config/logger';
import type { WireSocket } from '../sockets/socket-types';

/** How long an end is remembered: far longer than a handshake takes between its admission and its connection. */
const REMEMBERED_FOR_MS = 60_000;

/** Values per key for REMEMBERED_FOR_MS; forgetting costs nothing per call (keys expire in the order remembered). */
class ExpiringMemory<Key, Value> {
  private readonly values = new Map<Key, Value[]>();
  private readonly expiring: Array<{ key: Key; until: number }> = [];

  remember(key: Key, value: Value, now: number): void {
    this.forgetExpired(now);
    const values = this.values.get(key);
    if (values) values.push(value);
    else this.values.set(key, [value]);
    this.expiring.push({ key, until: now + REMEMBERED_FOR_MS });
  }

  recall(key: Key, now: number): readonly Value[] {
    this.forgetExpired(now);
    return this.values.get(key) ?? [];
  }

  /** Each key's values are in the order remembered, like `expiring`: the oldest of each goes first. */
  private forgetExpired(now: number): void {
    while (this.expiring.length > 0 && this.expiring[0].until <= now) {
      const { key } = this.expiring.shift()!;
      const values = this.values.get(key);
      values?.shift();
      if (values?.length === 0) this.values.delete(key);
    }
  }
}

/** An end of some sessions of one user. */
type UserSessionsEnd =
  /** These sessions of the auth service (v1). */
  | { sessionIds: readonly SessionId[]; reason: SessionEndReason }
  /** Every session of the auth service's user (v1): those Redis no longer has. */
  | { sessionIds: null; reason: SessionEndReason }
  /** Every session of an external provider's user that started at or before `at` (v2 without a session). */
  | { startedAtOrBefore: number; reason: SessionEndReason };

/**
 * An external provider session (v2 with a session): every socket of it, whatever user the message names, as the
 * record of its end (keyed by the session alone) refuses every handshake of it.
 */
interface ProviderSessionEnd {
  reason: SessionEndReason;
}

/**
 * Redis runs a socket's admission script before or after the script that ends its session (or evicts it over the
 * per-user limit), but this node learns the outcomes on different connections (the admission's reply on the command
 * connection; the `user-logged-out` message on the subscriber; an eviction through the Socket.IO adapter) in no
 * guaranteed order. A socket admitted just before its end, whose admission this node processed after the end went
 * by, would not be found, and would live until the next re-check, or (an eviction) for good with no registry entry
 * (both found by the soak). So every end is remembered for a while, and each socket, once connected, is checked.
 */
export class RecentEnds {
  private readonly sessionEnds = new ExpiringMemory<UserId, UserSessionsEnd>();
  private readonly providerSessionEnds = new ExpiringMemory<SessionId, ProviderSessionEnd>();
  private readonly evictions = new ExpiringMemory<string, true>();

  constructor(
    private readonly sessions: SessionStore,
    private readonly sockets: LocalSockets,
    private readonly forcedLogout: ForcedLogout,
    private readonly logger: SessionwireLogger,
  ) {}

  rememberSessionEnd(message: AnyUserLoggedOut): void {
    const now = Date.now();
    if (message.v === 1) return this.sessionEnds.remember(message.userId, { sessionIds: message.sessionIds, reason: message.reason }, now);
    const { issuer, subject, providerSessionId, reason } = message;
    const userId = subject === null ? null : externalUserId(issuer, subject);
    if (providerSessionId !== null) this.providerSessionEnds.remember(externalSessionId(issuer, providerSessionId), { reason }, now);
    else if (userId !== null) this.sessionEnds.remember(userId, { startedAtOrBefore: message.at, reason }, now);
  }

  /**
   * Ends sockets evicted by this node's admission of a newer one, wherever they are: on this node now, on the
   * others through the adapter, and on any node once they connect if they were still being admitted there.
   */
  evict(connections: readonly SocketEviction[]): void {
    if (connections.length === 0) return;
    const evicted = connections.map(({ socketId, sessionId }) => ({ socketId, sessionId }));
    this.applyEviction(evicted);
    this.sockets.broadcaster()?.serverSideEmit('sockets:evicted', evicted);
  }

  /** An eviction decided here or on another node: ends the local sockets, and remembers them for later connections. */
  applyEviction(evicted: readonly SocketEviction[]): void {
    const now = Date.now();
    for (const { socketId } of evicted) this.evictions.remember(socketId, true, now);
    const local = this.sockets.byIds(evicted.map(({ socketId }) => socketId));
    if (local.length > 0) this.forcedLogout.end(local, 'evicted');
  }

  /**
   * Ends a socket that has just connected if a remembered end covers it: at once when it was evicted, its session was
   * named, or (an external provider's user) it started before the end; for an end of every session of the user, once Redis confirms the socket's session is gone (a session
   * created after the message is not covered). Costs nothing unless such an end went by within the last minute.
   */
  async endIfEnded(socket: WireSocket): Promise<void> {
    const now = Date.now();
    if (this.evictions.recall(socket.id, now).length > 0) return this.end(socket, 'evicted');
    const { userId, sessionId, sessionStartedAt } = socket.data;
    const [providerSession] = this.providerSessionEnds.recall(sessionId, now);
    if (providerSession) return this.end(socket, providerSession.reason);
    const ends = this.sessionEnds.recall(userId, now);
    const named = ends.find((end) => 'sessionIds' in end && end.sessionIds?.includes(sessionId));
    if (named) return this.end(socket, named.reason);
    const startedBefore = ends.find((end) => 'startedAtOrBefore' in end && sessionStartedAt <= end.startedAtOrBefore);
    if (startedBefore) return this.end(socket, startedBefore.reason);
    const everySession = ends.find((end) => 'sessionIds' in end && end.sessionIds === null);
    if (!everySession) return;
    try {
      const [exists] = await this.sessions.whichExist([{ userId, sessionId }]);
      if (!exists) this.end(socket, everySession.reason);
    } catch (error) {
      this.logger.warn(`Could not check ${socket.id} against a recent logout of its user; the re-check will: ${(error as Error).message}`);
    }
  }

  private end(socket: WireSocket, reason: SocketEndReason): void {
    if (!socket.connected) return;
    this.forcedLogout.end([socket], reason);
    this.logger.info({ socketId: socket.id, userId: socket.data.userId, reason }, 'Ended a socket that connected after its end went by');
  }
}
