import type { ClientToServerEvents, ServerToClientEvents } from '@app/contracts';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { TEST_ORIGIN } from './cluster';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConnectOptions {
  token?: string;
  cookie?: string;
  origin?: string;
  transport?: 'websocket' | 'polling';
  /** Start on polling and upgrade to WebSocket (socket.io-client's default); `transport` is then ignored. */
  upgrade?: boolean;
  headers?: Record<string, string>;
  auth?: Record<string, unknown>;
  query?: Record<string, string>;
  /** WebSocket protocols to offer (socket.io-client's `protocols`), e.g. the `Sec-WebSocket-Protocol` carrier. */
  protocols?: string[];
  /** Records every event from before the handshake (one sent right after `connect` arrives with it). */
  recordInto?: ReceivedEvent[];
}

const openSockets = new Set<ClientSocket>();

function clientOptions(options: ConnectOptions): Partial<ManagerOptions & SocketOptions> {
  return {
    transports: options.upgrade ? ['polling', 'websocket'] : [options.transport ?? 'websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    auth: options.auth ?? (options.token ? { token: options.token } : {}),
    query: options.query,
    protocols: options.protocols,
    extraHeaders: {
      origin: options.origin ?? TEST_ORIGIN,
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...options.headers,
    },
  };
}

/** A real socket.io-client connection; resolves on `connect`, rejects with the `connect_error`. */
export function connectSocket(url: string, options: ConnectOptions = {}): Promise<ClientSocket> {
  const socket: ClientSocket = io(url, clientOptions(options));
  openSockets.add(socket);
  if (options.recordInto) recordEventsInto(socket, options.recordInto);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** The `connect_error` a refused handshake produces (fails the test if the socket connects). */
export async function connectError(url: string, options: ConnectOptions = {}): Promise<Error & { data?: { code: string; message: string }; description?: unknown }> {
  try {
    const socket = await connectSocket(url, options);
    socket.close();
  } catch (error) {
    return error as Error & { data?: { code: string; message: string } };
  }
  throw new Error('expected the handshake to be refused, but the socket connected');
}

/** Resolves with the next `event` on `socket`. */
export function nextEvent<Event extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: Event,
  timeoutMs = 5000,
): Promise<Parameters<ServerToClientEvents[Event]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(event)} within ${timeoutMs} ms`)), timeoutMs);
    (socket as unknown as Socket).once(event as string, (payload: Parameters<ServerToClientEvents[Event]>[0]) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

/** Resolves with the disconnect reason. */
export function disconnected(socket: ClientSocket, timeoutMs = 5000): Promise<string> {
  if (socket.disconnected && !socket.active) return Promise.resolve('already disconnected');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket ${socket.id} still connected after ${timeoutMs} ms`)), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** Asserts each socket is still connected and its node still answers it (`whoami`), so it is really alive there. */
export async function expectAlive(sockets: ClientSocket[]): Promise<void> {
  for (const socket of sockets) {
    expect(socket.connected).toBe(true);
    expect((await socket.emitWithAck('whoami')).ok).toBe(true);
  }
}

/** Closes every socket opened through this module (call in afterAll/afterEach). */
export function closeAllSockets(): void {
  for (const socket of openSockets) socket.close();
  openSockets.clear();
}

export interface ReceivedEvent {
  event: string;
  payload: unknown;
}

/**
 * Every event `socket` receives from now on, in arrival order. Absence is asserted against a later marker:
 * once the marker arrived, anything sent before it over the same path would have arrived too.
 */
export function recordEvents(socket: ClientSocket): ReceivedEvent[] {
  return recordEventsInto(socket, []);
}

function recordEventsInto(socket: ClientSocket, received: ReceivedEvent[]): ReceivedEvent[] {
  socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
  return received;
}
