import type { ExternalCredential } from '@app/authentication';
import type { Admission, Connection, ConnectionRegistry, ExternalAdmission, SocketTransport } from '@app/registry';
import type { SessionStore } from '@app/sessions';
import type { SessionwireLogger } from '../config/logger';
import type { ExternalSessionEnds } from './external-session-ends';
import type { SessionwireSocketData, WireSocket } from '../sockets/socket-types';

/**
 * This node's writes to the shared registry. Removals are coalesced per event-loop turn into one pipeline,
 * so a forced logout of a thousand sockets costs one round trip, not a thousand.
 */
export class RegistryWriter {
  private pendingRemovals: Array<Pick<Connection, 'nodeId' | 'socketId' | 'userId'>> = [];

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly sessions: SessionStore,
    private readonly externalEnds: ExternalSessionEnds,
    private readonly config: { nodeId: string; connectionLimit: { perUser: number; policy: 'reject_new' | 'evict_oldest' } },
    private readonly logger: SessionwireLogger,
  ) {}

  /**
   * Records a new socket, proving (and touching) its session and enforcing the cluster-wide per-user
   * connection limit in the same script. The node's view is written in the same turn, so both travel in one
   * write to Redis; the periodic reconcile rewrites it should that write fail. A socket not admitted is removed
   * again. `cookieHash`: for a cookie credential, the hash the session must hold.
   */
  async admit(connection: Connection, cookieHash: string | null): Promise<Admission> {
    this.registry.addToNode(connection).catch((error: Error) => this.logger.warn(`Could not record ${connection.socketId} on this node: ${error.message}`));
    try {
      const sessionCheck = this.sessions.check(connection.userId, connection.sessionId, cookieHash);
      const admission = await this.registry.admit(connection, this.config.connectionLimit, sessionCheck);
      if (!admission.accepted) this.remove(connection.socketId, connection.userId);
      return admission;
    } catch (error) {
      this.remove(connection.socketId, connection.userId);
      throw error;
    }
  }

  /**
   * Records a socket of an external provider's session: the user's ended-before time is checked inside the admission
   * script (the user's slot), the provider session's own end in the same round trip beside it (another slot). When that
   * one has ended, the admission is undone and its evictions are not carried out (the evicted sockets' entries are
   * written back at once): a dead token must not end the user's live sockets, nor hide them from the registry. A token refused because its session
   * ended makes the records of that end outlive it.
   */
  async admitExternal(connection: Connection, credential: Pick<ExternalCredential, 'sessionStartedAt' | 'issuer' | 'expiresAt'>): Promise<ExternalAdmission> {
    this.registry.addToNode(connection).catch((error: Error) => this.logger.warn(`Could not record ${connection.socketId} on this node: ${error.message}`));
    let admission: ExternalAdmission;
    try {
      const [admitted, sessionEnded] = await Promise.all([
        this.registry.admitExternal(connection, this.config.connectionLimit, credential.sessionStartedAt),
        this.externalEnds.sessionEnded(connection.sessionId),
      ]);
      if (admitted.accepted && !sessionEnded) return admitted;
      this.remove(connection.socketId, connection.userId);
      if (admitted.accepted) await this.restore(admitted.evicted);
      admission = admitted.accepted ? { accepted: false, reason: 'session_ended' } : admitted;
    } catch (error) {
      this.remove(connection.socketId, connection.userId);
      throw error;
    }
    if (admission.reason === 'session_ended') await this.coverRefusedToken(connection, credential);
    return admission;
  }

  /** Writes back the entries an undone admission evicted; should that fail, the next reconcile does. */
  private restore(evicted: readonly Connection[]): Promise<void> {
    return this.registry.add(evicted).catch((error: Error) => this.logger.warn(`Could not restore ${evicted.length} evicted registry entries: ${error.message}`));
  }

  /** Keeps the records of an ended session until the refused token expires; a failure leaves the refusal standing. */
  coverRefusedToken(session: Pick<Connection, 'userId' | 'sessionId'>, credential: Pick<ExternalCredential, 'issuer' | 'expiresAt'>): Promise<void> {
    return this.externalEnds
      .coverToken(session, credential.issuer, credential.expiresAt)
      .catch((error: Error) => this.logger.warn(`Could not extend the end records of session ${session.sessionId}: ${error.message}`));
  }

  connection(
    socketId: string,
    data: Pick<SessionwireSocketData, 'userId' | 'sessionId' | 'connectedAt'> & { credentialExpiresAt: number | undefined },
    transport: SocketTransport,
  ): Connection {
    const { userId, sessionId, connectedAt, credentialExpiresAt } = data;
    return { nodeId: this.config.nodeId, socketId, userId, sessionId, connectedAt, transport, credentialExpiresAt };
  }

  /** The entry of a local socket as it is now. */
  current(socket: WireSocket): Connection {
    return this.connection(socket.id, socket.data, transportOf(socket));
  }

  /** (Re)writes the entries of these local sockets; idempotent. */
  addSockets(sockets: readonly WireSocket[]): Promise<void> {
    return this.registry.add(sockets.map((socket) => this.current(socket)));
  }

  /**
   * Rewrites the entry of a socket being admitted or connected after its transport or credential expiry changed (not
   * of a disconnected one: its removal is already issued). A failure is only logged: the re-check's reconcile rewrites
   * entries that differ from their socket.
   */
  update(socket: WireSocket): void {
    this.addSockets([socket]).catch((error: Error) => this.logger.warn(`Could not update the registry entry of ${socket.id}: ${error.message}`));
  }

  remove(socketId: string, userId: string): void {
    if (this.pendingRemovals.length === 0) setImmediate(() => void this.flushRemovals());
    this.pendingRemovals.push({ nodeId: this.config.nodeId, socketId, userId });
  }

  private async flushRemovals(): Promise<void> {
    const batch = this.pendingRemovals;
    this.pendingRemovals = [];
    try {
      await this.registry.remove(batch);
    } catch (error) {
      // The periodic reconcile removes entries with no local socket, so nothing stays behind for long.
      this.logger.warn(`Could not remove ${batch.length} registry entries: ${(error as Error).message}`);
    }
  }
}

/** The socket's Engine.IO transport (`polling` until an upgrade to `websocket`). */
export function transportOf(socket: WireSocket): SocketTransport {
  return socket.conn.transport.name === 'websocket' ? 'websocket' : 'polling';
}
