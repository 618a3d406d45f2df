import { connect, type SessionwireClient } from '@sessionwire/client';
import type { ClientToServerEvents, ServerToClientEvents } from '@app/contracts';
import { io, type Socket } from 'socket.io-client';
import type { SoakSession } from './world';

export type Transports = Array<'websocket' | 'polling'>;

/** What a client went through, in order; `t` is epoch ms. */
export type ClientRecord =
  | { t: number; type: 'open' }
  | { t: number; type: 'reconnecting' }
  | { t: number; type: 'connected'; socketId: string; transport: string }
  | { t: number; type: 'upgraded'; transport: string }
  | { t: number; type: 'node'; nodeId: string }
  | { t: number; type: 'event'; event: string; reason?: string }
  | { t: number; type: 'disconnected'; reason: string; willReconnect: boolean }
  | { t: number; type: 'refused'; code: string }
  | { t: number; type: 'signedOut'; reason: string }
  | { t: number; type: 'tokenRefreshed'; exp: number }
  | { t: number; type: 'closedBySoak' };

type RawSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Chat rooms the clients join (every socket of a room receives its messages: the soak's delivery probe). */
export const ROOMS = 8;

export interface ClientTarget {
  url: string;
  origin: string;
}

/**
 * One client of a session, recording everything it sees: the client SDK over the official socket.io-client
 * (`sdk`: reconnects, refreshes in-band), or a bare socket.io-client (`raw`).
 */
export class SoakClient {
  readonly records: ClientRecord[] = [{ t: Date.now(), type: 'open' }];
  readonly openedAt = Date.now();
  private readonly room: string;

  private constructor(
    readonly id: number,
    readonly kind: 'sdk' | 'expiring' | 'probe',
    readonly session: SoakSession,
    readonly transports: Transports,
    readonly socket: RawSocket,
    private readonly sdk?: SessionwireClient<ServerToClientEvents, ClientToServerEvents>,
    /** For `expiring`: the token's `exp` (epoch s). */
    readonly expiresAt?: number,
  ) {
    this.room = `room-${id % ROOMS}`;
    socket.onAny((event: string, payload: { reason?: string } | undefined) => this.record({ type: 'event', event, reason: payload?.reason }));
    socket.on('connect', () => this.onConnected(socket.id ?? ''));
    socket.on('connect_error', (error) => this.record({ type: 'refused', code: error.message }));
    // Every end of a connection, whoever ended it (the server, the network, the SDK signing out, the soak).
    socket.on('disconnect', (reason) => this.record({ type: 'disconnected', reason, willReconnect: socket.active }));
  }

  static sdk(id: number, session: SoakSession, transports: Transports, target: ClientTarget): SoakClient {
    const byToken = session.credential === 'token';
    const sdk = connect<ServerToClientEvents, ClientToServerEvents>({
      url: target.url,
      credentials: session.credential,
      tokenStore: byToken ? session.tokens : undefined,
      transports,
      reconnectionDelay: 250,
      reconnectionDelayMax: 4000,
      extraHeaders: { origin: target.origin, ...(byToken ? {} : { cookie: session.cookie }) },
    });
    const client = new SoakClient(id, 'sdk', session, transports, sdk.socket, sdk);
    sdk.on('reconnecting', () => client.record({ type: 'reconnecting' }));
    sdk.on('signedOut', ({ reason }) => client.record({ type: 'signedOut', reason }));
    sdk.on('tokenRefreshed', ({ exp }) => client.record({ type: 'tokenRefreshed', exp }));
    return client;
  }

  /**
   * A bare socket.io-client, no reconnection: `expiring` holds an access token until its `exp` (epoch s), never
   * refreshing it; `probe` tries an ended session's last credential, which must be refused.
   */
  static raw(
    id: number,
    kind: 'expiring' | 'probe',
    session: SoakSession,
    credential: { token?: string; cookie?: string },
    transports: Transports,
    target: ClientTarget,
    expiresAt?: number,
  ): SoakClient {
    const socket: RawSocket = io(target.url, {
      auth: credential.token ? { token: credential.token } : {},
      transports,
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin: target.origin, ...(credential.cookie ? { cookie: credential.cookie } : {}) },
    });
    return new SoakClient(id, kind, session, transports, socket, undefined, expiresAt);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** The client will not connect again (signed out, refused, closed): nothing more can happen to it. */
  get finished(): boolean {
    if (this.sdk) return this.sdk.state === 'signedOut' || this.sdk.state === 'closed';
    return !this.socket.connected && !this.socket.active;
  }

  get lastRecord(): ClientRecord {
    return this.records[this.records.length - 1];
  }

  /** The node of the current connection (the last `node` record since the last `connected`). */
  get nodeId(): string | undefined {
    for (let index = this.records.length - 1; index >= 0; index--) {
      const record = this.records[index];
      if (record.type === 'node') return record.nodeId;
      if (record.type === 'connected') return undefined;
    }
    return undefined;
  }

  /** Sends a message to the client's room; anyone in it, on any node, receives it. */
  chatter(): void {
    if (this.socket.connected) this.socket.emit('room:message', { room: this.room, text: `from ${this.id}` });
  }

  dm(toUserId: string): void {
    if (this.socket.connected) this.socket.emit('dm', { toUserId, text: `dm from ${this.id}` });
  }

  close(): void {
    this.record({ type: 'closedBySoak' });
    if (this.sdk) this.sdk.close();
    else this.socket.close();
  }

  record(record: DistributiveOmit<ClientRecord, 't'>): void {
    this.records.push({ t: Date.now(), ...record } as ClientRecord);
  }

  /** After every (re)connection: its transport (and a later upgrade), which node serves it, and back into its room. */
  private onConnected(socketId: string): void {
    const engine = this.socket.io.engine;
    this.record({ type: 'connected', socketId, transport: engine.transport.name });
    engine.once('upgrade', (transport: { name: string }) => this.record({ type: 'upgraded', transport: transport.name }));
    this.socket
      .timeout(10_000)
      .emitWithAck('whoami')
      .then((reply) => {
        if (reply.ok) this.record({ type: 'node', nodeId: reply.nodeId });
      })
      .catch(() => undefined);
    this.socket.emit('room:join', { room: this.room });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
