import { MemoryTokenStore, type Tokens } from '@sessionwire/client';
import type { SessionEndReason, SocketEndReason } from '@app/contracts';
import type { SoakClient } from './soak-client';

export type CredentialKind = 'token' | 'cookie';

/**
 * When a session ended, as far as the soak can know: not before `after` (the ending request was sent) and not
 * after `by` (its answer arrived, or a later request proved it over). `reasons`: what `session:ended` may say.
 */
export interface SessionEnd {
  after: number;
  by: number;
  reasons: ReadonlySet<SocketEndReason>;
  operation: OperationKind;
  /** The end lies somewhere in a long window (an earlier request's outcome was unknown): no latency sample. */
  ambiguous?: boolean;
}

export type OperationKind =
  | 'login'
  | 'connect'
  | 'disconnect'
  | 'chatter'
  | 'dm'
  | 'http-refresh'
  | 'refresh-reuse'
  | 'logout'
  | 'logout-all'
  | 'delete-session'
  | 'admin-revoke'
  | 'expiring-socket'
  | 'connection-burst'
  | 'revoked-handshake';

export type FaultKind = 'redis-restart' | 'gateway-freeze' | 'pubsub-cut' | 'gateway-kill' | 'gateway-drain';

/** A fault and when the system was whole again (`recoveredAt`: the target serves again, or the freeze ended). */
export interface Fault {
  kind: FaultKind;
  /** `redis`, `gateway-2`…, or `all-subscribers`. */
  target: string;
  at: number;
  recoveredAt: number;
}

/**
 * The session's tokens, shared by its clients as tabs share storage, remembering every refresh token it held and
 * when a rotation replaced it (refresh-reuse presents an old one).
 */
export class SessionTokens extends MemoryTokenStore {
  readonly replaced: Array<{ refreshToken: string; replacedAt: number }> = [];
  /** The last access token it held, kept after the SDK clears the store (a revoked session's probe uses it). */
  lastAccessToken?: string;

  constructor(initial: Tokens) {
    super(initial);
    this.lastAccessToken = initial.accessToken;
  }

  override set(tokens: Tokens): void {
    const previous = this.get()?.refreshToken;
    if (previous && previous !== tokens.refreshToken) this.replaced.push({ refreshToken: previous, replacedAt: Date.now() });
    this.lastAccessToken = tokens.accessToken ?? this.lastAccessToken;
    super.set(tokens);
  }
}

export interface SoakSession {
  id: string;
  user: SoakUser;
  credential: CredentialKind;
  /** `name=value` of the session cookie (every login sets one; cookie sessions authenticate with it). */
  cookie: string;
  tokens: SessionTokens;
  createdAt: number;
  /** When the schedule lets an operation end it (drawn at login), so that sessions live long enough to refresh and expire tokens. */
  endableAt: number;
  end?: SessionEnd;
  /**
   * An ending request whose outcome is unknown (5xx, no answer): the session may have ended from `after` on. The
   * next operation on it settles the question (a cookie logout: 204, or 401 because it is already over).
   */
  pendingEnd?: Omit<SessionEnd, 'by'>;
  clients: SoakClient[];
}

export interface SoakUser {
  index: number;
  username: string;
  password: string;
  id?: string;
  sessions: SoakSession[];
  /** Operations that change a user's sessions run one at a time per user, so each one's effect is known exactly. */
  busy: boolean;
}

/** Everything the soak did and saw, for the oracle. */
export class World {
  readonly users: SoakUser[];
  readonly sessions: SoakSession[] = [];
  readonly clients: SoakClient[] = [];
  readonly faults: Fault[] = [];
  readonly operations = new Map<OperationKind, { started: number; succeeded: number; refused: number; indefinite: number }>();
  /** Anomalies seen while operating (an answer the model did not allow), each a violation of the invariant named. */
  readonly anomalies: Array<{ invariant: string; at: number; message: string; session?: SoakSession }> = [];

  constructor(userCount: number, runId: string) {
    this.users = Array.from({ length: userCount }, (_, index) => ({
      index,
      username: `soak-${runId}-${index}`,
      password: `soak password ${runId} ${index}`,
      sessions: [],
      busy: false,
    }));
  }

  liveSessions(): SoakSession[] {
    return this.sessions.filter((session) => !session.end && !session.pendingEnd);
  }

  count(kind: OperationKind, outcome: 'started' | 'succeeded' | 'refused' | 'indefinite'): void {
    const counts = this.operations.get(kind) ?? { started: 0, succeeded: 0, refused: 0, indefinite: 0 };
    counts[outcome]++;
    this.operations.set(kind, counts);
  }

  anomaly(invariant: string, message: string, session?: SoakSession): void {
    this.anomalies.push({ invariant, at: Date.now(), message, session });
  }

  ended(session: SoakSession, end: SessionEnd): void {
    session.pendingEnd = undefined;
    session.end = end;
  }
}

/** Reasons a `session:ended` may give for an end by `operation` (the re-check always says `session_revoked`). */
export function endReasons(reason: SessionEndReason): ReadonlySet<SocketEndReason> {
  return new Set<SocketEndReason>([reason, 'session_revoked']);
}
