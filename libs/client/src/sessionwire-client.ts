import type { ErrorCode, HandshakeErrorCode, SessionClientToServerEvents, SessionServerToClientEvents, SocketEndReason } from '@app/contracts';
import { io, type Socket } from 'socket.io-client';
import { backoffDelay, type Backoff } from './backoff';
import { createTokenRefresher, RefreshRejectedError, singleFlight } from './token-refresher';
import { MemoryTokenStore, type TokenStore } from './token-store';
import { TypedEmitter } from './typed-emitter';

/**
 * An app's event map, as socket.io types them: event name → listener signature (with an ack callback last for
 * events that are acknowledged).
 */
export type EventsMap = object;

/**
 * The default when an app does not type its events: any event with any arguments, like socket.io's own
 * `DefaultEventsMap` (which socket.io-client does not export).
 */
export interface UntypedEvents {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- socket.io's untyped listener signature
  [event: string]: (...args: any[]) => void;
}

/** The app's events with the session layer's: where a name is in both, the session layer's type holds. */
export type WithSessionEvents<AppEvents extends EventsMap, SessionEvents extends EventsMap> = Omit<AppEvents, keyof SessionEvents> & SessionEvents;

/**
 * The socket.io socket: the app's own events (`AppServerEvents` it listens to, `AppClientEvents` it emits)
 * merged with the session layer's (`session:ended`, `auth:expiring`, `server:draining`; `auth:refresh`).
 */
export type SessionwireSocket<AppServerEvents extends EventsMap = UntypedEvents, AppClientEvents extends EventsMap = UntypedEvents> = Socket<
  WithSessionEvents<AppServerEvents, SessionServerToClientEvents>,
  WithSessionEvents<AppClientEvents, SessionClientToServerEvents>
>;

/**
 * Why the client signed out for good: the server's `session:ended` reason, `refresh_failed` (the access token
 * could not be renewed), or the handshake refusal that means the session is over.
 */
export type SignedOutReason = SocketEndReason | 'refresh_failed' | Extract<HandshakeErrorCode, 'SESSION_REVOKED' | 'UNAUTHORIZED'>;

/**
 * `connecting` → `connected` ⇄ `reconnecting`; `signedOut` and `closed` are final (`closed`: `close()` was
 * called, or the gateway refused in a way retrying cannot fix, e.g. `ORIGIN_NOT_ALLOWED`).
 */
export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'signedOut' | 'closed';

/** The SDK's own events (the gateway's events are on `client.socket`). */
export interface ClientEvents {
  /** Connected (again, when `reconnect`); `socketId` changes with every connection. */
  connected: { socketId: string; reconnect: boolean };
  /** The connection is gone; unless `willReconnect`, the client is now `closed` (see `reason`). */
  disconnected: { reason: string; willReconnect: boolean };
  /** A reconnection attempt is about to start (attempt 1, 2, … since the last connection). */
  reconnecting: { attempt: number };
  /** The gateway accepted a fresh token in-band (`auth:refresh`): the socket now lives until `exp` (epoch s). */
  tokenRefreshed: { exp: number };
  /** Final: the session is over. No reconnection; stored tokens are cleared. */
  signedOut: { reason: SignedOutReason };
}

export interface ConnectOptions {
  /** The gateway, or the nginx in front of it. @default the page's origin (browsers only) */
  url?: string;
  /** Socket.IO path. @default '/socket.io' */
  path?: string;
  /**
   * `token`: an access token in socket.io's `auth` (a new one for every reconnection); `cookie`: the HttpOnly
   * session cookie (`withCredentials`), nothing to refresh. Required: there is no default.
   */
  credentials: 'token' | 'cookie';
  /** The first connection's access token. @default the stored one, else a refresh */
  getAccessToken?: () => string | Promise<string>;
  /**
   * Resolves with a new access token. Throw `RefreshRejectedError` when the session cannot go on (the client
   * signs out); any other error is treated as transient and retried.
   * @default `POST {authBaseUrl}/auth/refresh` with the stored refresh token, storing the rotated pair
   */
  refresh?: () => Promise<string>;
  /** Base URL of the auth service, for the default `refresh`. @default `url`, else the page's origin */
  authBaseUrl?: string;
  /** Seeds the token store (e.g. from the login response). @default none */
  accessToken?: string;
  /** Seeds the token store; rotated by the default `refresh`. @default none */
  refreshToken?: string;
  /** Where tokens live; cleared on sign-out. @default a `MemoryTokenStore` */
  tokenStore?: TokenStore;
  /** WebSocket first spreads connections over the gateways (nginx `least_conn`); polling is only a fallback. @default ['websocket', 'polling'] */
  transports?: Array<'websocket' | 'polling'>;
  /**
   * Delay before the first reconnection attempt (ms); it doubles with every failed attempt. A drained node
   * closes its sockets over its drain window; this delay plus `randomizationFactor` spreads their returns further.
   * @default 1000
   */
  reconnectionDelay?: number;
  /** Upper bound of the reconnection delay (ms). @default 10000 */
  reconnectionDelayMax?: number;
  /** Each delay is spread uniformly over ±this fraction (0..1), so clients dropped together do not retry together. @default 0.5 */
  randomizationFactor?: number;
  /** Headers for the handshake (Node only; browsers ignore them for WebSocket). @default none */
  extraHeaders?: Record<string, string>;
}

/** How long the gateway may take to answer `auth:refresh`. */
const ACK_TIMEOUT_MS = 10_000;

/** Handshake refusals worth retrying (after a refresh, for `TOKEN_EXPIRED`). */
const RETRIED_REFUSALS = new Set<string>(['TOKEN_EXPIRED', 'UNAVAILABLE', 'RATE_LIMITED'] satisfies HandshakeErrorCode[]);
/** `auth:refresh` refusals that do not mean the session is over. */
const TRANSIENT_ACK_ERRORS = new Set<ErrorCode>(['RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL']);

/**
 * Connects to the gateway; see `SessionwireClient`. Pass the app's event maps to type `client.socket`:
 * `connect<ServerToClientEvents, ClientToServerEvents>(options)`; without them, any event is allowed.
 */
export function connect<AppServerEvents extends EventsMap = UntypedEvents, AppClientEvents extends EventsMap = UntypedEvents>(
  options: ConnectOptions,
): SessionwireClient<AppServerEvents, AppClientEvents> {
  return new SessionwireClient<AppServerEvents, AppClientEvents>(options);
}

/**
 * One authenticated connection to the gateways that keeps itself alive: it answers `auth:expiring` with a
 * fresh token (no reconnect), reconnects after network loss or a drained node with a fresh token and jittered
 * exponential backoff, and stops for good when the session ends (`signedOut`).
 */
export class SessionwireClient<AppServerEvents extends EventsMap = UntypedEvents, AppClientEvents extends EventsMap = UntypedEvents> {
  /** The socket.io socket, for the app's own events (and the session layer's, e.g. `server:draining`). */
  readonly socket: SessionwireSocket<AppServerEvents, AppClientEvents>;
  /** The same socket, seen through the session layer's events only, for the client's own listeners. */
  private readonly session: Socket<SessionServerToClientEvents, SessionClientToServerEvents>;
  private currentState: ClientState = 'connecting';
  private readonly events = new TypedEmitter<ClientEvents>();
  private readonly store?: TokenStore;
  private readonly refreshToken: () => Promise<string>;
  private readonly firstToken: () => string | Promise<string>;
  private readonly backoff: Backoff;
  /** Set after every lost connection and `TOKEN_EXPIRED`: the next handshake must present a newly refreshed token. */
  private needsFreshToken = false;
  private lastToken?: string;
  private connectedBefore = false;
  /** Refused handshakes since the last connection, for the backoff of our own retries. */
  private refusals = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private renewing = false;
  /** Set by `session:ended {expired}` on a token client: the disconnect that follows is reconnected, not final. */
  private expiredBeforeRenewal = false;

  constructor(options: ConnectOptions) {
    this.backoff = {
      initialDelayMs: options.reconnectionDelay ?? 1000,
      maxDelayMs: options.reconnectionDelayMax ?? 10_000,
      randomization: options.randomizationFactor ?? 0.5,
    };
    const byToken = options.credentials === 'token';
    if (byToken) {
      const store = options.tokenStore ?? new MemoryTokenStore();
      if (options.accessToken || options.refreshToken) store.set({ ...store.get(), accessToken: options.accessToken, refreshToken: options.refreshToken });
      this.store = store;
      if (!options.getAccessToken && !options.refresh && !store.get()) {
        throw new TypeError("credentials 'token' needs getAccessToken, refresh, or an accessToken/refreshToken (e.g. from the login response)");
      }
    }
    this.refreshToken = singleFlight(
      options.refresh ?? createTokenRefresher({ store: this.store ?? new MemoryTokenStore(), authBaseUrl: options.authBaseUrl ?? options.url }),
    );
    this.firstToken = options.getAccessToken ?? (() => this.store?.get()?.accessToken ?? this.refreshToken());

    const socketOptions = {
      path: options.path,
      transports: options.transports ?? ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelay: this.backoff.initialDelayMs,
      reconnectionDelayMax: this.backoff.maxDelayMs,
      randomizationFactor: this.backoff.randomization,
      withCredentials: !byToken,
      extraHeaders: options.extraHeaders,
      // A new Manager per client: sockets of one client never share (or reuse) another's connection.
      forceNew: true,
      ...(byToken && { auth: (send: (data: object) => void) => this.authenticate(send) }),
    };
    this.session = options.url === undefined ? io(socketOptions) : io(options.url, socketOptions);
    // One socket, two views: the app's event maps are type parameters, so the client's own code cannot see them.
    this.socket = this.session as Socket as SessionwireSocket<AppServerEvents, AppClientEvents>;
    this.listen(byToken);
  }

  get state(): ClientState {
    return this.currentState;
  }

  /** Adds a listener for an SDK event; returns the function that removes it. */
  on<Event extends keyof ClientEvents>(event: Event, listener: (payload: ClientEvents[Event]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Disconnects for good (no reconnection). Stored tokens are kept; this is not a logout. */
  close(): void {
    if (this.stopped) return;
    this.stop('closed');
  }

  private get stopped(): boolean {
    return this.currentState === 'signedOut' || this.currentState === 'closed';
  }

  private listen(byToken: boolean): void {
    const socket = this.session;
    socket.on('connect', () => {
      const reconnect = this.connectedBefore;
      this.connectedBefore = true;
      this.refusals = 0;
      this.currentState = 'connected';
      this.events.emit('connected', { socketId: socket.id ?? '', reconnect });
    });
    socket.on('disconnect', (reason) => {
      if (this.stopped) return;
      this.needsFreshToken = true;
      const afterExpiry = this.expiredBeforeRenewal;
      this.expiredBeforeRenewal = false;
      const willReconnect = socket.active || afterExpiry;
      this.currentState = willReconnect ? 'reconnecting' : 'closed';
      this.events.emit('disconnected', { reason, willReconnect });
      // The server disconnected (socket.io will not reconnect by itself), but the session goes on.
      if (afterExpiry) this.retryLater();
    });
    socket.on('connect_error', (error) => this.handshakeFailed(error));
    socket.io.on('reconnect_attempt', (attempt) => {
      if (!this.stopped) this.events.emit('reconnecting', { attempt });
    });
    socket.on('session:ended', ({ reason }) => {
      // A token that ran out before the auth service could renew it ends this connection, not the session: the
      // client reconnects with a refreshed token, and signs out only if that refresh is refused. (For the cookie,
      // `expired` is the session's own end.)
      if (reason === 'expired' && byToken) this.expiredBeforeRenewal = true;
      else this.signOut(reason);
    });
    if (byToken) socket.on('auth:expiring', ({ exp }) => void this.renew(exp));
  }

  /** socket.io's `auth` callback: runs before every handshake, reconnections included. */
  private authenticate(send: (data: { token: string }) => void): void {
    const fresh = this.needsFreshToken;
    Promise.resolve()
      .then(() => (fresh ? this.refreshToken() : this.firstToken()))
      .then(
        (token) => {
          if (this.stopped) return;
          this.needsFreshToken = false;
          this.lastToken = token;
          send({ token });
        },
        (error: unknown) => {
          if (this.stopped) return;
          if (error instanceof RefreshRejectedError) return this.signOut('refresh_failed');
          // The auth service is out of reach: the last token may still be valid; if not, the gateway answers
          // TOKEN_EXPIRED and the next attempt refreshes again.
          if (this.lastToken) return send({ token: this.lastToken });
          this.session.disconnect();
          this.retryLater();
        },
      );
  }

  /**
   * A refusal by the gateway (`connect_error` with the code as message) is not retried by socket.io itself
   * (`socket.active` is false); a transport failure is, with its own backoff.
   */
  private handshakeFailed(error: Error): void {
    if (this.stopped || this.session.active) return;
    const code = error.message;
    if (code === 'SESSION_REVOKED' || code === 'UNAUTHORIZED') return this.signOut(code);
    if (code === 'TOKEN_EXPIRED') this.needsFreshToken = true;
    if (RETRIED_REFUSALS.has(code)) return this.retryLater();
    this.stop('closed');
    this.events.emit('disconnected', { reason: code, willReconnect: false });
  }

  private retryLater(): void {
    const attempt = ++this.refusals;
    this.currentState = 'reconnecting';
    this.events.emit('reconnecting', { attempt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.session.connect();
    }, backoffDelay(attempt, this.backoff));
  }

  /**
   * In-band refresh: a new token of the same session moves the socket's deadline, without a reconnect.
   * Transient failures are retried until the old token's `exp`; after that the gateway ends the socket and the
   * client reconnects (see the `session:ended` listener). A refused refresh means the session is over.
   */
  private async renew(exp: number): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      for (let attempt = 1; this.currentState === 'connected'; attempt++) {
        const outcome = await this.tryRenew();
        if (outcome === 'renewed') return;
        if (outcome === 'rejected') return this.signOut('refresh_failed');
        const delay = backoffDelay(attempt, this.backoff);
        // Out of time: the gateway ends the socket at `exp` (`expired`) and the client reconnects with a fresh token.
        if (Date.now() + delay >= exp * 1000) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    } finally {
      this.renewing = false;
    }
  }

  private async tryRenew(): Promise<'renewed' | 'rejected' | 'transient'> {
    try {
      const token = await this.refreshToken();
      this.lastToken = token;
      const reply = await this.session.timeout(ACK_TIMEOUT_MS).emitWithAck('auth:refresh', { token });
      if (reply.ok) {
        this.events.emit('tokenRefreshed', { exp: reply.exp });
        return 'renewed';
      }
      return TRANSIENT_ACK_ERRORS.has(reply.error.code) ? 'transient' : 'rejected';
    } catch (error) {
      // Anything but a rejected refresh (network, auth service down, ack timeout) is worth another try.
      return error instanceof RefreshRejectedError ? 'rejected' : 'transient';
    }
  }

  /**
   * Final: tells the app why, forgets the tokens, and closes the socket (which also stops socket.io's reconnection).
   * An eviction ends only this connection (the user opened more than the per-user limit): the session goes on, so
   * the tokens, which its other tabs may share, are kept.
   */
  private signOut(reason: SignedOutReason): void {
    if (this.stopped) return;
    this.stop('signedOut');
    if (reason !== 'evicted') this.store?.clear();
    this.lastToken = undefined;
    this.events.emit('signedOut', { reason });
  }

  private stop(state: 'signedOut' | 'closed'): void {
    this.currentState = state;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.session.disconnect();
  }
}
