import type { ClientRecord, SoakClient } from './soak-client';
import type { Fault, SessionEnd, SoakSession, World } from './world';

export type Invariant = 'I1' | 'I2' | 'I3' | 'I4' | 'I5';

/** Handshake refusals that pass by themselves (a node draining or Redis away; the per-address limit). */
const TRANSIENT_REFUSALS = new Set(['UNAVAILABLE', 'RATE_LIMITED']);

export interface Violation {
  invariant: Invariant;
  at: number;
  message: string;
  /** What led to it: the session's end, the client's records and the faults around it. */
  timeline: string[];
}

/** How a socket of an ended session was closed: `pubsub` (the `user-logged-out` message), `recheck` (a node's re-check found the session gone), `expiry` (the credential's `exp`). */
export type ClosePath = 'pubsub' | 'recheck' | 'expiry';

export interface Bounds {
  /** I1 on the pub/sub path: every socket closed this long after the end at most. */
  pubsubMs: number;
  /**
   * Time to act once a fault is over, added to its recovery: a gateway re-checks every live session as soon as its
   * subscriber is back (the fault's recovery is measured to that moment), a thawed gateway reads what it missed.
   */
  detectionMs: number;
  drainWindowMs: number;
  /** I3: how long after a fault ends a dropped SDK client has to be connected again. */
  reconnectMs: number;
  /** I4: HEARTBEAT_TTL + SWEEP_INTERVAL. */
  registryConvergenceMs: number;
  /**
   * PING_INTERVAL + PING_TIMEOUT: how long a gateway keeps a socket whose client vanished without a word (a
   * long-poll whose requests stopped) before it drops it and its registry entry.
   */
  deadClientMs: number;
  maxConnectionsPerUser: number;
  /** AUTH_EXPIRY_WARNING: how long before `exp` a client is asked to refresh. */
  expiryWarningMs: number;
}

/** One connection of a client: from its attempt to its closure. */
export interface Connection {
  client: SoakClient;
  attemptAt: number;
  connectedAt: number;
  nodeId?: string;
  /** `websocket` or `polling`, as it was when the connection ended (after an upgrade, if any). */
  transport: string;
  closedAt: number;
  /** Why it closed: the `session:ended` reason, the soak closing it, the SDK signing out, or the transport. */
  cause: { kind: 'ended'; reason: string } | { kind: 'soak' } | { kind: 'signedOut'; reason: string } | { kind: 'transport'; reason: string } | { kind: 'open' };
  events: Array<{ t: number; event: string }>;
}

/** A client's connections, from its records. */
export function connectionsOf(client: SoakClient): Connection[] {
  const connections: Connection[] = [];
  let attemptAt = client.openedAt;
  let current: Connection | undefined;
  const records = client.records;
  records.forEach((record, index) => {
    switch (record.type) {
      case 'open':
      case 'reconnecting':
        attemptAt = record.t;
        break;
      case 'connected':
        current = { client, attemptAt, connectedAt: record.t, transport: record.transport, closedAt: Infinity, cause: { kind: 'open' }, events: [] };
        connections.push(current);
        break;
      case 'upgraded':
        if (current) current.transport = record.transport;
        break;
      case 'node':
        if (current) current.nodeId = record.nodeId;
        break;
      case 'event':
        if (current && current.closedAt === Infinity) {
          current.events.push({ t: record.t, event: record.event });
          if (record.event === 'session:ended' && current.cause.kind === 'open') current.cause = { kind: 'ended', reason: record.reason ?? '' };
        }
        break;
      case 'closedBySoak':
        if (current && current.closedAt === Infinity && current.cause.kind === 'open') current.cause = { kind: 'soak' };
        break;
      case 'disconnected':
        if (current && current.closedAt === Infinity) {
          current.closedAt = record.t;
          if (current.cause.kind === 'open') current.cause = closureCause(records, index);
          attemptAt = record.t;
        }
        break;
      default:
        break;
    }
  });
  return connections;
}

/** A client-side disconnect right before `signedOut` is the SDK signing out; anything else is the transport's reason. */
function closureCause(records: readonly ClientRecord[], index: number): Connection['cause'] {
  const next = records[index + 1];
  const record = records[index] as Extract<ClientRecord, { type: 'disconnected' }>;
  if (next?.type === 'signedOut') return { kind: 'signedOut', reason: next.reason };
  return { kind: 'transport', reason: record.reason };
}

export interface Evaluation {
  violations: Violation[];
  latencies: Record<ClosePath, number[]>;
  /** The slowest closure of each path, with its timeline (what a reader of the report wants to see first). */
  slowest: Partial<Record<ClosePath, { ms: number; timeline: string[] }>>;
  /** Sockets closed by a gateway dying or draining while their session ended: no latency sample. */
  closedByFault: number;
}

/** Checks I1–I3 over everything recorded (I4 and I5 are checked by the run itself). */
export function evaluate(world: World, bounds: Bounds, runStartedAt: number): Evaluation {
  const oracle = new Oracle(world, bounds, runStartedAt);
  for (const session of world.sessions) oracle.checkSession(session);
  return oracle.result();
}

class Oracle {
  private readonly violations: Violation[] = [];
  private readonly latencies: Record<ClosePath, number[]> = { pubsub: [], recheck: [], expiry: [] };
  private readonly slowest: Evaluation['slowest'] = {};
  private closedByFault = 0;

  constructor(
    private readonly world: World,
    private readonly bounds: Bounds,
    private readonly startedAt: number,
  ) {}

  result(): Evaluation {
    return { violations: this.violations, latencies: this.latencies, slowest: this.slowest, closedByFault: this.closedByFault };
  }

  checkSession(session: SoakSession): void {
    for (const client of session.clients) {
      for (const connection of connectionsOf(client)) {
        const end = session.end;
        if (end && connection.closedAt > end.after) this.afterEnd(session, end, connection);
        if (!end || connection.closedAt < end.after) this.whileLive(session, connection);
        if (client.kind === 'expiring' && client.expiresAt !== undefined) this.expiring(session, connection, client.expiresAt * 1000);
        this.nothingAfterEnded(session, connection);
      }
      this.refusalsAndSignOuts(session, client);
    }
  }

  /** I1: the server sends nothing on a connection after its `session:ended` (events are in arrival order). */
  private nothingAfterEnded(session: SoakSession, connection: Connection): void {
    const ended = connection.events.findIndex((event) => event.event === 'session:ended');
    const after = ended === -1 ? undefined : connection.events.slice(ended + 1).find((event) => event.event !== 'session:ended');
    if (after) this.violation('I1', after.t, `a socket received ${after.event} after its own session:ended`, session, connection);
  }

  /**
   * I3 for what happens outside connections: a live session's client is never signed out (but by an eviction), and
   * its handshakes are refused only for reasons that pass (a node draining or Redis away: UNAVAILABLE, RATE_LIMITED).
   * I2 for the probes: an ended session's credential is refused as revoked (or expired, once the token is).
   */
  private refusalsAndSignOuts(session: SoakSession, client: SoakClient): void {
    const liveAt = (t: number) => !session.end || t < session.end.after;
    for (const record of client.records) {
      if (record.type === 'signedOut' && record.reason !== 'evicted' && liveAt(record.t)) {
        this.violation('I3', record.t, `a client of a live session signed out (${record.reason})`, session);
      }
      // A refusal's message is its code; anything else (`websocket error`, `xhr poll error`) is a transport failure.
      if (record.type !== 'refused' || !/^[A-Z_]+$/.test(record.code) || TRANSIENT_REFUSALS.has(record.code)) continue;
      if (client.kind === 'probe') {
        const tokenExpired = client.expiresAt !== undefined && record.t >= client.expiresAt * 1000;
        if (record.code !== 'SESSION_REVOKED' && !(tokenExpired && record.code === 'TOKEN_EXPIRED')) {
          this.violation('I2', record.t, `a probe with an ended session's ${session.credential} was refused with ${record.code}, not SESSION_REVOKED`, session);
        }
      } else if (liveAt(record.t) && !(record.code === 'TOKEN_EXPIRED' && client.kind === 'sdk')) {
        this.violation('I3', record.t, `a handshake of a live session was refused with ${record.code} (${client.kind} client ${client.id})`, session);
      }
    }
  }

  /** I1 and I2 for a connection still open when its session ended, or opened after. */
  private afterEnd(session: SoakSession, end: SessionEnd, connection: Connection): void {
    if (connection.attemptAt > end.by) {
      this.violation('I2', connection.connectedAt, `a handshake started ${this.ms(connection.attemptAt - end.by)} after the session ended completed (${connection.client.kind} client ${connection.client.id})`, session, connection);
    }
    const deadline = this.deadline(end.after, end.by, connection);
    this.checkClosedBy(deadline, end.after, session, connection, `its session ended (${end.operation})`);
    if (connection.cause.kind === 'ended' && connection.closedAt <= deadline && !end.ambiguous) {
      const path = this.pathOf(end, connection.cause.reason, connection.closedAt - end.after);
      if (path) this.sample(path, connection.closedAt - end.after, session, connection);
    } else if (connection.cause.kind === 'transport' && this.faultOn(connection.nodeId, connection.closedAt, ['gateway-kill', 'gateway-drain'])) {
      this.closedByFault++;
    }
  }

  /** I3: a live session's connection ends only by the soak, a fault, a drain or a per-user limit eviction, and the SDK comes back. */
  private whileLive(session: SoakSession, connection: Connection): void {
    const { cause, closedAt, client } = connection;
    if (cause.kind === 'open' || cause.kind === 'soak') return;
    if (cause.kind === 'ended' && cause.reason === 'evicted') {
      const open = this.mostSocketsOf(session, this.evictionDecidedAfter(connection), closedAt);
      if (open < this.bounds.maxConnectionsPerUser) this.violation('I3', closedAt, `evicted while the user had at most ${open} sockets (limit ${this.bounds.maxConnectionsPerUser})`, session, connection);
      return;
    }
    if (cause.kind === 'ended' && cause.reason === 'expired' && client.kind === 'expiring') return;
    // A sign-out is reported (once) by refusalsAndSignOuts.
    if (cause.kind === 'signedOut') return;
    const fault =
      cause.kind === 'transport'
        ? this.faultOn(connection.nodeId, closedAt, ['gateway-kill', 'gateway-drain'])
        : cause.reason === 'expired'
          ? this.redisAwayBefore(closedAt)
          : undefined;
    if (fault) {
      if (client.kind === 'sdk') this.cameBack(session, connection, fault);
      return;
    }
    const what = cause.kind === 'transport' ? `dropped (${cause.reason}, ${connection.transport})` : `ended by the server (${cause.reason})`;
    this.violation('I3', closedAt, `a socket of a live session was ${what} with no fault to explain it`, session, connection);
  }

  /** I3's second half: the SDK client is connected again within the bound after the fault, unless it had no reason to. */
  private cameBack(session: SoakSession, connection: Connection, fault: Fault): void {
    const limit = fault.recoveredAt + this.bounds.reconnectMs;
    const next = connectionsOf(connection.client).find((candidate) => candidate.connectedAt > connection.closedAt);
    if (next && next.connectedAt <= limit) return;
    const gaveUp = connection.client.records.find((record) => record.t > connection.closedAt && (record.type === 'closedBySoak' || record.type === 'signedOut'));
    const endedMeanwhile = session.end && session.end.after <= limit;
    if ((gaveUp && gaveUp.t <= limit && (gaveUp.type === 'closedBySoak' || endedMeanwhile)) || endedMeanwhile) return;
    this.violation('I3', limit, `an SDK client dropped by ${fault.kind} of ${fault.target} was not connected again within ${this.ms(this.bounds.reconnectMs)} of its recovery`, session, connection);
  }

  /** An expiring client's connection must close at its token's `exp` (the expiry path), and not before. */
  private expiring(session: SoakSession, connection: Connection, expiresAt: number): void {
    if (session.end && session.end.after < expiresAt) return;
    const { cause, closedAt } = connection;
    if (cause.kind === 'ended' && cause.reason === 'expired' && closedAt < expiresAt - this.bounds.pubsubMs) {
      this.violation('I3', closedAt, `a socket was ended as expired ${this.ms(expiresAt - closedAt)} before its token's exp`, session, connection);
    }
    if (closedAt < expiresAt) return;
    const deadline = this.deadline(expiresAt, expiresAt, connection);
    this.checkClosedBy(deadline, expiresAt, session, connection, 'its access token expired');
    if (connection.cause.kind === 'ended' && connection.cause.reason === 'expired') this.sample('expiry', connection.closedAt - expiresAt, session, connection);
  }

  private sample(path: ClosePath, ms: number, session: SoakSession, connection: Connection): void {
    this.latencies[path].push(ms);
    if (ms > (this.slowest[path]?.ms ?? -1)) this.slowest[path] = { ms, timeline: timelineOf(this.world, session, this.startedAt, connection.client, connection.closedAt) };
  }

  /** I1: closed by `deadline` (what it received until then is bounded by its closure; after `session:ended`, see nothingAfterEnded). */
  private checkClosedBy(deadline: number, from: number, session: SoakSession, connection: Connection, why: string): void {
    if (connection.closedAt <= deadline) return;
    const still = connection.closedAt === Infinity ? 'never closed' : `closed ${this.ms(connection.closedAt - from)} after`;
    this.violation('I1', deadline, `a socket (${connection.transport}) was ${still} ${why} (bound ${this.ms(deadline - from)})`, session, connection);
  }

  /**
   * The latest `connection` may close after an end within [after, by]: the pub/sub bound, or later when a fault
   * around that time could have hidden the message (then the re-check after the subscribers are back makes up for
   * it) or held its node. A long-poll goes first to the node nginx's hash of the client address picks, which passes
   * it on when it does not hold the session: a fault on any node may hold a long-polling connection.
   */
  private deadline(after: number, by: number, connection: Connection): number {
    const { pubsubMs, detectionMs, drainWindowMs } = this.bounds;
    let deadline = by + pubsubMs;
    for (const fault of this.world.faults) {
      if (fault.at > by + pubsubMs || fault.recoveredAt < after - pubsubMs) continue;
      const mayHoldIt = connection.nodeId === undefined || fault.target === connection.nodeId || connection.transport === 'polling';
      if (fault.kind === 'redis-restart' || fault.kind === 'pubsub-cut') deadline = Math.max(deadline, fault.recoveredAt + detectionMs);
      else if (fault.kind === 'gateway-freeze' && mayHoldIt) deadline = Math.max(deadline, fault.recoveredAt + pubsubMs + detectionMs);
      else if (mayHoldIt) deadline = Math.max(deadline, fault.at + drainWindowMs + detectionMs);
    }
    return deadline;
  }

  /** The path that closed a socket, from the `session:ended` reason it got. */
  private pathOf(end: SessionEnd, reason: string, latencyMs: number): ClosePath | undefined {
    if (!end.reasons.has(reason as never)) return undefined;
    if (reason !== 'session_revoked') return 'pubsub';
    // DELETE /auth/sessions/:id announces `session_revoked` too: then only the time tells the paths apart.
    if (end.operation === 'delete-session') return latencyMs <= this.bounds.pubsubMs ? 'pubsub' : 'recheck';
    return 'recheck';
  }

  /** A gateway fault of one of `kinds` on `nodeId` (any node when unknown) that explains a drop at `t`. */
  private faultOn(nodeId: string | undefined, t: number, kinds: Fault['kind'][]): Fault | undefined {
    return this.world.faults.find(
      (fault) =>
        kinds.includes(fault.kind) &&
        (nodeId === undefined || fault.target === nodeId) &&
        t >= fault.at - 500 &&
        t <= Math.max(fault.recoveredAt, fault.at + this.bounds.drainWindowMs) + this.bounds.detectionMs,
    );
  }

  /**
   * An eviction is decided by another socket's admission, and reaches the evicted socket's node through the adapter:
   * at once, or when that node thaws if it was frozen meanwhile.
   */
  private evictionDecidedAfter(connection: Connection): number {
    const { closedAt, nodeId } = connection;
    const frozen = this.world.faults.find(
      (fault) => fault.kind === 'gateway-freeze' && (nodeId === undefined || fault.target === nodeId) && fault.recoveredAt <= closedAt && fault.recoveredAt >= closedAt - this.bounds.detectionMs,
    );
    return Math.max(connection.connectedAt, (frozen?.at ?? closedAt) - this.bounds.pubsubMs);
  }

  /** The most sockets the registry may have counted for the user at any moment in [from, to] (see `registered`). */
  private mostSocketsOf(session: SoakSession, from: number, to: number): number {
    const connections = session.user.sessions.flatMap((other) => other.clients.flatMap((client) => connectionsOf(client)));
    // The count only grows when a handshake starts: those moments (and `from`) are where it peaks.
    const moments = [from, ...connections.map((connection) => connection.attemptAt).filter((t) => t > from && t <= to)];
    return Math.max(...moments.map((t) => connections.filter((connection) => this.registered(connection, t)).length));
  }

  /**
   * Whether the registry may count `connection` at `t`: a handshake under way counts from its admission, before the
   * client hears it succeeded, and a closed connection until its entry is gone (see `registeredUntil`).
   */
  private registered(connection: Connection, t: number): boolean {
    return connection.attemptAt <= t && this.registeredUntil(connection) >= t;
  }

  /**
   * An SDK client's token runs out only if it could not be refreshed in the warning time before `exp`: Redis away
   * (the auth service answers 503) in that time explains it (and the SDK must then reconnect).
   */
  private redisAwayBefore(expiredAt: number): Fault | undefined {
    const from = expiredAt - this.bounds.expiryWarningMs - this.bounds.detectionMs;
    return this.world.faults.find((fault) => fault.kind === 'redis-restart' && fault.recoveredAt >= from && fault.at <= expiredAt);
  }

  /**
   * Until when the registry may still list a connection: a WebSocket's end reaches its gateway at once; a vanished
   * long-poll's only at the ping timeout; the entries of a killed gateway stay until it is back (it clears them at
   * boot); a removal that failed while Redis was away is made up for by its gateway's re-check once Redis is back,
   * or once that gateway thaws.
   */
  private registeredUntil(connection: Connection): number {
    const { closedAt, nodeId } = connection;
    const { detectionMs, deadClientMs } = this.bounds;
    let until = closedAt;
    if (connection.cause.kind === 'transport') {
      if (connection.transport === 'polling') until = closedAt + deadClientMs;
      const killed = this.faultOn(nodeId, closedAt, ['gateway-kill']);
      if (killed) until = Math.max(until, killed.recoveredAt + detectionMs);
    }
    const redisAway = this.world.faults.find((fault) => fault.kind === 'redis-restart' && closedAt >= fault.at - 1000 && closedAt <= fault.recoveredAt);
    if (redisAway) {
      until = Math.max(until, redisAway.recoveredAt + detectionMs);
      const frozen = this.world.faults.find(
        (fault) => fault.kind === 'gateway-freeze' && (nodeId === undefined || fault.target === nodeId) && fault.at <= redisAway.recoveredAt + detectionMs && fault.recoveredAt >= closedAt,
      );
      if (frozen) until = Math.max(until, frozen.recoveredAt + detectionMs);
    }
    return until;
  }

  private violation(invariant: Invariant, at: number, message: string, session: SoakSession, connection?: Connection): void {
    this.violations.push({ invariant, at, message, timeline: timelineOf(this.world, session, this.startedAt, connection?.client, at) });
  }

  private ms(value: number): string {
    return `${Math.round(value)} ms`;
  }
}

/** The session's story around `at`, for a violation's report: its end, its clients' records, the faults nearby. */
export function timelineOf(world: World, session: SoakSession | undefined, startedAt: number, focus: SoakClient | undefined, at: number): string[] {
  const lines: Array<[number, string]> = [];
  const clock = (t: number) => `+${((t - startedAt) / 1000).toFixed(3)}s`;
  if (session) {
    lines.push([session.createdAt, `session ${session.id} of ${session.user.username} (${session.credential}) created`]);
    if (session.end) {
      lines.push([session.end.after, `${session.end.operation} sent (session end not before this)`]);
      lines.push([session.end.by, `${session.end.operation} answered (session ended by now; reasons ${[...session.end.reasons].join('/')})`]);
    }
    const clients = focus ? [focus] : session.clients;
    for (const client of clients) {
      for (const record of client.records) {
        if (record.type === 'event' && record.event !== 'session:ended' && Math.abs(record.t - at) > 5000) continue;
        const { t, type, ...detail } = record;
        lines.push([t, `client ${client.id} (${client.kind}, ${client.transports.join('+')}) ${type} ${JSON.stringify(detail)}`]);
      }
    }
  }
  for (const fault of world.faults) {
    if (fault.recoveredAt < at - 40_000 || fault.at > at + 5000) continue;
    lines.push([fault.at, `FAULT ${fault.kind} ${fault.target}`]);
    lines.push([fault.recoveredAt, `fault over: ${fault.kind} ${fault.target}`]);
  }
  return lines.sort((a, b) => a[0] - b[0]).map(([t, line]) => `${clock(t)}  ${line}`);
}
