import type { ClientRecord, SoakClient } from './soak-client';
import type { Fault, SessionEnd, SoakSession, World } from './world';

export type Invariant = 'I1' | 'I2' | 'I3' | 'I4' | 'I5';

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
  /** The gateways' RECHECK_INTERVAL: a message hidden by a fault is made up for within it. */
  recheckIntervalMs: number;
  /** Time to notice and act once a fault is over (reconnect, resubscribe, thaw), added to the bounds above. */
  detectionMs: number;
  drainWindowMs: number;
  /** I3: how long after a fault ends a dropped SDK client has to be connected again. */
  reconnectMs: number;
  /** I4: HEARTBEAT_TTL + SWEEP_INTERVAL. */
  registryConvergenceMs: number;
  /**
   * PING_INTERVAL + PING_TIMEOUT: how long a gateway keeps a socket whose client vanished without a word (a
   * long-polling client re-routed to another node) before it drops it and its registry entry.
   */
  deadClientMs: number;
  /** nginx's fail_timeout: how long a gateway that failed stays out of the balancing, then is tried again. */
  upstreamRetryMs: number;
  maxConnectionsPerUser: number;
}

/** One connection of a client: from its attempt to its closure. */
export interface Connection {
  client: SoakClient;
  attemptAt: number;
  connectedAt: number;
  nodeId?: string;
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
        current = { client, attemptAt, connectedAt: record.t, closedAt: Infinity, cause: { kind: 'open' }, events: [] };
        connections.push(current);
        break;
      case 'node':
        if (current) current.nodeId = record.nodeId;
        break;
      case 'event':
        if (current && current.closedAt === Infinity) {
          current.events.push({ t: record.t, event: record.event });
          if (record.event === 'session:ended') current.cause = { kind: 'ended', reason: record.reason ?? '' };
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
      }
    }
  }

  /** I1 and I2 for a connection still open when its session ended, or opened after. */
  private afterEnd(session: SoakSession, end: SessionEnd, connection: Connection): void {
    if (connection.attemptAt > end.by) {
      this.violation('I2', connection.connectedAt, `a handshake started ${this.ms(connection.attemptAt - end.by)} after the session ended completed (${connection.client.kind} client ${connection.client.id})`, session, connection);
    }
    const deadline = this.deadline(end.after, end.by, connection.nodeId);
    this.checkClosedBy(deadline, end.after, session, connection, `its session ended (${end.operation})`);
    if (connection.cause.kind === 'ended' && connection.closedAt <= deadline) {
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
      const open = this.openSocketsOf(session, closedAt);
      if (open < this.bounds.maxConnectionsPerUser) this.violation('I3', closedAt, `evicted while the user had ${open} sockets (limit ${this.bounds.maxConnectionsPerUser})`, session, connection);
      return;
    }
    if (cause.kind === 'ended' && cause.reason === 'expired' && client.kind === 'expiring') return;
    const fault = cause.kind === 'transport' ? (this.faultOn(connection.nodeId, closedAt, ['gateway-kill', 'gateway-drain']) ?? this.rehashedBy(connection)) : undefined;
    if (fault) {
      if (client.kind === 'sdk') this.cameBack(session, connection, fault);
      return;
    }
    const what = cause.kind === 'transport' ? `dropped (${cause.reason})` : `${cause.kind === 'ended' ? 'ended by the server' : 'signed out'} (${cause.reason})`;
    this.violation('I3', closedAt, `a socket of a live session was ${what} with no fault on its node`, session, connection);
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

  /** An expiring client's connection must close at its token's `exp` (the expiry path). */
  private expiring(session: SoakSession, connection: Connection, expiresAt: number): void {
    if (session.end && session.end.after < expiresAt) return;
    if (connection.closedAt < expiresAt) return;
    const deadline = this.deadline(expiresAt, expiresAt, connection.nodeId);
    this.checkClosedBy(deadline, expiresAt, session, connection, 'its access token expired');
    if (connection.cause.kind === 'ended' && connection.cause.reason === 'expired') this.sample('expiry', connection.closedAt - expiresAt, session, connection);
  }

  private sample(path: ClosePath, ms: number, session: SoakSession, connection: Connection): void {
    this.latencies[path].push(ms);
    if (ms > (this.slowest[path]?.ms ?? -1)) this.slowest[path] = { ms, timeline: timelineOf(this.world, session, this.startedAt, connection.client, connection.closedAt) };
  }

  /** I1: closed by `deadline`, and nothing but `session:ended` received after it. */
  private checkClosedBy(deadline: number, from: number, session: SoakSession, connection: Connection, why: string): void {
    if (connection.closedAt > deadline) {
      const still = connection.closedAt === Infinity ? 'never closed' : `closed ${this.ms(connection.closedAt - from)} after`;
      this.violation('I1', deadline, `a socket was ${still} ${why} (bound ${this.ms(deadline - from)})`, session, connection);
    }
    const late = connection.events.find((event) => event.t > deadline && event.event !== 'session:ended');
    if (late) this.violation('I1', late.t, `a socket received ${late.event} ${this.ms(late.t - from)} after ${why} (bound ${this.ms(deadline - from)})`, session, connection);
  }

  /**
   * The latest a socket on `nodeId` may close after an end within [after, by]: the pub/sub bound, or later when a
   * fault around that time could have hidden the message (then the re-check makes up for it) or held the node.
   */
  private deadline(after: number, by: number, nodeId: string | undefined): number {
    const { pubsubMs, recheckIntervalMs, detectionMs, drainWindowMs } = this.bounds;
    let deadline = by + pubsubMs;
    for (const fault of this.world.faults) {
      if (fault.at > by + pubsubMs || fault.recoveredAt < after - pubsubMs) continue;
      const onThisNode = nodeId === undefined || fault.target === nodeId;
      if (fault.kind === 'redis-restart' || fault.kind === 'pubsub-cut') deadline = Math.max(deadline, fault.recoveredAt + recheckIntervalMs + detectionMs);
      else if (fault.kind === 'gateway-freeze' && onThisNode) deadline = Math.max(deadline, fault.recoveredAt + pubsubMs + detectionMs);
      else if (onThisNode) deadline = Math.max(deadline, fault.at + drainWindowMs + detectionMs);
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
   * The user's sockets the registry may count at `t` (the evicted one included): a handshake under way counts from its
   * admission, before the client hears it succeeded; a connection the client lost without a word counts until the
   * gateway's ping timeout drops it.
   */
  private openSocketsOf(session: SoakSession, t: number): number {
    let open = 0;
    for (const other of session.user.sessions) {
      for (const client of other.clients) {
        for (const connection of connectionsOf(client)) {
          const heldUntil = connection.cause.kind === 'transport' ? connection.closedAt + this.bounds.deadClientMs : connection.closedAt;
          if (connection.attemptAt <= t && heldUntil >= t) open++;
        }
      }
    }
    return open;
  }

  /**
   * A long-polling connection is pinned to its gateway by nginx's consistent hash of the client address; when a gateway
   * that was down is back in the balancing (up to nginx's fail_timeout after it recovered), the addresses that had
   * moved away from it hash to it again, and their next poll (at the latest a ping interval later) reaches a node
   * that does not know their session.
   */
  private rehashedBy(connection: Connection): Fault | undefined {
    if (!connection.client.transports.includes('polling')) return undefined;
    const { upstreamRetryMs, deadClientMs, detectionMs } = this.bounds;
    return this.world.faults.find(
      (fault) =>
        (fault.kind === 'gateway-kill' || fault.kind === 'gateway-drain') &&
        connection.closedAt >= fault.recoveredAt &&
        connection.closedAt <= fault.recoveredAt + upstreamRetryMs + deadClientMs + detectionMs,
    );
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
