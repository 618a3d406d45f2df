import { connect, type ClientEvents, type ConnectOptions, type SessionwireClient } from '@sessionwire/client';
import type { ClientToServerEvents, ServerToClientEvents, WhoAmI } from '@app/contracts';
import { TEST_ORIGIN } from './cluster';

/** An SDK client typed with the gateway's demo events (dm, rooms, session data, whoami, admin stats). */
export type DemoClient = SessionwireClient<ServerToClientEvents, ClientToServerEvents>;

const openClients = new Set<DemoClient>();

/**
 * A client of the SDK (`@sessionwire/client`) with test defaults: short reconnection delays (the suites kill gateways
 * and wait for the clients to come back) and the cluster's allowed Origin header. Not yet connected.
 */
export function sdkClient(options: ConnectOptions): DemoClient {
  const client = connect<ServerToClientEvents, ClientToServerEvents>({
    reconnectionDelay: 100,
    reconnectionDelayMax: 1000,
    ...options,
    extraHeaders: { origin: TEST_ORIGIN, ...options.extraHeaders },
  });
  openClients.add(client);
  return client;
}

/** `sdkClient`, resolved once connected; rejects if it signs out or stops first. */
export async function connectedClient(options: ConnectOptions, timeoutMs = 10_000): Promise<DemoClient> {
  const client = sdkClient(options);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`SDK client not connected within ${timeoutMs} ms (state ${client.state})`)), timeoutMs);
    const unsubscribe = [
      client.on('connected', () => done()),
      client.on('signedOut', ({ reason }) => done(new Error(`signed out before connecting: ${reason}`))),
      client.on('disconnected', ({ reason, willReconnect }) => willReconnect || done(new Error(`stopped before connecting: ${reason}`))),
    ];
    function done(error?: Error): void {
      clearTimeout(timer);
      for (const off of unsubscribe) off();
      if (error) reject(error);
      else resolve();
    }
  });
  return client;
}

/** Resolves with the next `event` of the SDK client. */
export function nextClientEvent<Event extends keyof ClientEvents>(client: DemoClient, event: Event, timeoutMs = 10_000): Promise<ClientEvents[Event]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} within ${timeoutMs} ms (state ${client.state})`));
    }, timeoutMs);
    const off = client.on(event, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

export interface ClientEventRecord<Event extends keyof ClientEvents = keyof ClientEvents> {
  event: Event;
  payload: ClientEvents[Event];
}

/** Every SDK event of `client` from now on, in order. */
export function recordClientEvents(client: DemoClient): ClientEventRecord[] {
  const received: ClientEventRecord[] = [];
  const events: Array<keyof ClientEvents> = ['connected', 'disconnected', 'reconnecting', 'tokenRefreshed', 'signedOut'];
  for (const event of events) client.on(event, (payload) => received.push({ event, payload }));
  return received;
}

/** `whoami` over the client's socket (fails the test on an error ack). */
export async function whoami(client: DemoClient): Promise<WhoAmI> {
  const reply = await client.socket.timeout(5000).emitWithAck('whoami');
  if (!reply.ok) throw new Error(`whoami: ${reply.error.code} ${reply.error.message}`);
  return reply;
}

/** Closes every SDK client made through this module (afterEach/afterAll). */
export function closeAllClients(): void {
  for (const client of openClients) client.close();
  openClients.clear();
}
