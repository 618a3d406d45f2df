import { Injectable, Logger } from '@nestjs/common';
import type { SessionEndReason, SessionId, UserId, UserLoggedOut } from '@app/contracts';
import { SessionStore } from '@app/sessions';
import type { GatewaySocket } from '../realtime/socket-types';
import { ForcedLogout } from './forced-logout';

/** How long a `user-logged-out` message is remembered: far longer than a handshake takes between its admission and its connection. */
const REMEMBERED_FOR_MS = 60_000;

interface RememberedEnd {
  sessionIds: readonly SessionId[] | null;
  reason: SessionEndReason;
  until: number;
}

/**
 * Redis runs a socket's admission script and a session-end script in one order, but this node reads their outcomes
 * on two connections (the admission's reply on the command connection, the `user-logged-out` message on the
 * subscriber) in no guaranteed order. A socket admitted just before its session ended, whose admission this node
 * read after the message, would not be found by the message and would live until the next re-check (found by the
 * soak). So every message is remembered for a while, and each socket, once connected, is checked against them.
 */
@Injectable()
export class RecentSessionEnds {
  private readonly logger = new Logger(RecentSessionEnds.name);
  private readonly ends = new Map<UserId, RememberedEnd[]>();
  /** The users of the remembered ends, oldest first, so forgetting costs nothing per message. */
  private readonly expiring: Array<{ userId: UserId; until: number }> = [];

  constructor(
    private readonly sessions: SessionStore,
    private readonly forcedLogout: ForcedLogout,
  ) {}

  remember(message: UserLoggedOut): void {
    const now = Date.now();
    this.forgetExpired(now);
    const end: RememberedEnd = { sessionIds: message.sessionIds, reason: message.reason, until: now + REMEMBERED_FOR_MS };
    const ends = this.ends.get(message.userId);
    if (ends) ends.push(end);
    else this.ends.set(message.userId, [end]);
    this.expiring.push({ userId: message.userId, until: end.until });
  }

  /**
   * Ends a socket that has just connected if a remembered message covers it: at once when the message named its
   * session; for an end of every session of the user, once Redis confirms the socket's session is gone (a session
   * created after the message is not covered). Costs nothing unless its user had an end within the last minute.
   */
  async endIfEnded(socket: GatewaySocket): Promise<void> {
    const { userId, sessionId } = socket.data;
    const now = Date.now();
    const ends = (this.ends.get(userId) ?? []).filter((end) => end.until > now);
    const named = ends.find((end) => end.sessionIds?.includes(sessionId));
    if (named) return this.end(socket, named.reason);
    const everySession = ends.find((end) => end.sessionIds === null);
    if (!everySession) return;
    try {
      const [exists] = await this.sessions.whichExist([{ userId, sessionId }]);
      if (!exists) this.end(socket, everySession.reason);
    } catch (error) {
      this.logger.warn(`Could not check ${socket.id} against a recent logout of its user; the re-check will: ${(error as Error).message}`);
    }
  }

  private end(socket: GatewaySocket, reason: SessionEndReason): void {
    if (!socket.connected) return;
    this.forcedLogout.end([socket], reason);
    this.logger.log({ msg: 'Ended a socket admitted just before its session ended', socketId: socket.id, userId: socket.data.userId, reason });
  }

  /** Each user's ends are in the order remembered, like `expiring`: the oldest of each goes first. */
  private forgetExpired(now: number): void {
    while (this.expiring.length > 0 && this.expiring[0].until <= now) {
      const { userId } = this.expiring.shift()!;
      const ends = this.ends.get(userId);
      ends?.shift();
      if (ends?.length === 0) this.ends.delete(userId);
    }
  }
}
