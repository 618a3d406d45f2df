import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { RedisClient } from '@app/redis';
import type { Connection, ConnectionRegistry } from '@app/registry';
import type { SessionStore } from '@app/sessions';
import type { ForcedLogout } from '../sockets/forced-logout';
import type { LocalSockets } from '../sockets/local-sockets';
import type { SessionwireLogger } from '../config/logger';
import type { RegistryWriter } from '../registry/registry-writer';
import type { WireSocket } from '../sockets/socket-types';
import type { ExternalSessionEnds } from '../registry/external-session-ends';
import type { WireMetrics } from '../sockets/metrics';

/**
 * Sessions checked per round trip (a script on standalone Redis, a pipeline on Cluster). One pipeline for 10,000
 * sessions held the node's event loop for ~100 ms and Redis for ~15 ms on the benchmark machine, long enough to delay
 * a forced logout arriving meanwhile; batches bound both. At 14,286 sockets, batches of 250 rather than 1,000 halved the longest stretch without I/O
 * callbacks (~14 to ~7 ms) for the same pass duration.
 */
const RECHECK_BATCH = 250;

/**
 * Sockets handled per synchronous step of the pass's loops over all of them; I/O callbacks (a forced logout) run
 * between steps. Each loop over 14,286 sockets took 5-20 ms in one go on the (busy) benchmark machine.
 */
const SOCKETS_PER_STEP = 2000;

/** Registry entries of this node read (HSCAN COUNT) and parsed per step of the reconcile. */
const RECONCILE_CHUNK = 1000;

/**
 * Pub/sub is fire-and-forget, so every node also re-checks, on an interval and after its subscriber
 * reconnects, that the session of each live socket still exists (pipelines of RECHECK_BATCH sessions), and drops
 * the sockets of sessions that are gone. The same pass reconciles this node's registry entries with its
 * real sockets (entries written or removed while Redis was away).
 */
export class SessionRecheck {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private waitingForRedis = false;
  private stopped = false;

  constructor(
    private readonly config: { nodeId: string; recheckIntervalMs: number },
    private readonly redis: RedisClient,
    private readonly sessions: SessionStore,
    private readonly externalEnds: ExternalSessionEnds,
    /** Whether a socket's session is an external provider's (no record; alive unless its end is recorded). */
    private readonly isExternal: (socket: WireSocket) => boolean,
    private readonly registry: ConnectionRegistry,
    private readonly writer: RegistryWriter,
    private readonly sockets: LocalSockets,
    private readonly forcedLogout: ForcedLogout,
    private readonly metrics: WireMetrics,
    private readonly logger: SessionwireLogger,
  ) {}

  /**
   * Passes at most `recheckIntervalMs` apart, each wait 90–100% of it at random: nodes started together would
   * otherwise run their passes at the same moments, all against the same Redis and, on a shared host, the same cores.
   */
  start(): void {
    const wait = this.config.recheckIntervalMs * (0.9 + 0.1 * Math.random());
    this.timer = setTimeout(() => {
      this.start();
      void this.run();
    }, wait);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Runs a pass now (or joins the one under way); once the command connection is back if it is not. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.redis.status !== 'ready') {
      // One pending pass is enough, however many triggers arrive during an outage.
      if (!this.waitingForRedis) {
        this.waitingForRedis = true;
        this.redis.once('ready', () => {
          this.waitingForRedis = false;
          void this.run();
        });
      }
      return Promise.resolve();
    }
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const startedAt = performance.now();
    const startedAtEpochMs = Date.now();
    const sockets = this.sockets.all();
    try {
      const bySession = new Map<string, WireSocket[]>();
      for (let index = 0; index < sockets.length; index++) {
        if (index > 0 && index % SOCKETS_PER_STEP === 0) await yieldToIo();
        const socket = sockets[index];
        // An external session's end may cover only the sockets that started before a time: its start is part of the key.
        const key = this.isExternal(socket) ? `${socket.data.sessionId}@${socket.data.sessionStartedAt}` : socket.data.sessionId;
        const group = bySession.get(key);
        if (group) group.push(socket);
        else bySession.set(key, [socket]);
      }
      const groups = [...bySession.values()];
      const own = groups.filter((group) => !this.isExternal(group[0]));
      const external = groups.filter((group) => this.isExternal(group[0]));
      const alive: boolean[] = [];
      for (let start = 0; start < own.length; start += RECHECK_BATCH) {
        alive.push(...(await this.sessions.whichExist(own.slice(start, start + RECHECK_BATCH).map((group) => group[0].data))));
      }
      const ended: boolean[] = [];
      for (let start = 0; start < external.length; start += RECHECK_BATCH) {
        ended.push(...(await this.externalEnds.whichEnded(external.slice(start, start + RECHECK_BATCH).map((group) => group[0].data))));
      }
      const revoked = own.filter((_, index) => !alive[index]).flat();
      const providerEnded = external.filter((_, index) => ended[index]).flat();
      if (revoked.length > 0) this.forcedLogout.end(revoked, 'session_revoked');
      if (providerEnded.length > 0) {
        this.forcedLogout.end(providerEnded, 'provider_logout');
        await Promise.all(providerEnded.map(({ data }) => this.writer.coverRefusedToken(data, { issuer: data.issuer, expiresAt: data.credentialExpiresAt })));
      }
      if (revoked.length + providerEnded.length > 0) this.logger.info(`Re-check dropped ${revoked.length + providerEnded.length} sockets of ended sessions`);
      await this.reconcileRegistry(startedAtEpochMs);
      // The sweep's cost grows with the node's sockets; its duration is what to watch when sizing a node.
      const durationMs = performance.now() - startedAt;
      this.metrics.recheckPass(durationMs / 1000, { session_revoked: revoked.length, provider_logout: providerEnded.length });
      this.logger.debug?.({ sessions: groups.length, sockets: sockets.length, durationMs: Math.round(durationMs) }, 'Session re-check done');
    } catch (error) {
      this.logger.warn(`Session re-check failed, will retry: ${(error as Error).message}`);
    }
  }

  private async reconcileRegistry(passStartedAtEpochMs: number): Promise<void> {
    // The sockets whose entry was read and is current. Sockets, not the ids read: nothing of a chunk outlives its step.
    const upToDate = new Set<WireSocket>();
    for await (const chunk of this.registry.socketsOfNode(this.config.nodeId, RECONCILE_CHUNK)) {
      // Against the sockets of now, not of the pass's start: one that connected while the pass awaited Redis has an
      // entry. One admitted since the pass began may be a handshake still under way, its socket not yet connected.
      const stale: Connection[] = [];
      for (const entry of chunk) {
        const socket = this.sockets.byId(entry.socketId);
        if (socket) {
          if (entry.isOf(this.writer.current(socket))) upToDate.add(socket);
          continue;
        }
        const connection = entry.parse();
        if (connection && connection.connectedAt < passStartedAtEpochMs) stale.push(connection);
      }
      if (stale.length > 0) await this.registry.remove(stale);
    }
    // Missing entries, and entries that missed an update of the socket's transport or credential expiry (or predate
    // those fields).
    const outdated: WireSocket[] = [];
    const live = this.sockets.all();
    for (let index = 0; index < live.length; index++) {
      if (index > 0 && index % SOCKETS_PER_STEP === 0) await yieldToIo();
      if (!upToDate.has(live[index])) outdated.push(live[index]);
    }
    // One that disconnected during a step has had its removal issued: rewriting its entry would outlive it.
    await this.writer.addSockets(outdated.filter((socket) => socket.connected));
  }
}
