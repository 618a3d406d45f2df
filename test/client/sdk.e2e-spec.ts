import { createTokenRefresher, MemoryTokenStore, type Tokens } from '@sessionwire/client';
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { closeAllClients, connectedClient, nextClientEvent, recordClientEvents, sdkClient, whoami, type DemoClient } from '../support/client';
import { startCluster, type Cluster, type GatewayNode } from '../support/cluster';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';
import { startNginx, type Nginx } from '../support/nginx';

/** A store that remembers every pair it was given, to tell which token a client held when. */
class RecordingStore extends MemoryTokenStore {
  readonly history: Tokens[] = [];

  override set(tokens: Tokens): void {
    this.history.push(tokens);
    super.set(tokens);
  }
}

describe('client SDK (@sessionwire/client) against 3 gateways behind nginx', () => {
  let cluster: Cluster;
  let nginx: Nginx;
  let counter = 0;

  beforeAll(async () => {
    // A short drain window keeps the SIGTERM test quick; the drain still announces `server:draining` first.
    // A per-user limit with eviction for the eviction case; the other cases stay below it.
    cluster = await startCluster({ gateways: 3, gatewayEnv: { DRAIN_WINDOW: '0.5', MAX_CONNECTIONS_PER_USER: '3', CONNECTION_LIMIT_POLICY: 'evict_oldest' } });
    nginx = await startNginx(cluster);
  }, 90_000);

  afterEach(() => closeAllClients());
  afterAll(async () => {
    closeAllClients();
    await nginx?.stop();
    await cluster?.cleanup();
  }, 60_000);

  async function newUser(): Promise<LoggedIn> {
    const username = `sdk-user-${++counter}`;
    await registerUser(nginx.url, username);
    return login(nginx.url, username);
  }

  /** A token client through nginx, seeded with the login's tokens; the default refresh goes through nginx too. */
  function tokenClient(user: LoggedIn, store = new RecordingStore()) {
    return { store, options: { url: nginx.url, credentials: 'token' as const, accessToken: user.accessToken, refreshToken: user.refreshToken, tokenStore: store } };
  }

  const liveGateways = () => cluster.gateways.filter((gateway) => gateway.process.running);

  /** `sessionwire_gateway_handshakes_total` summed over every result and every live gateway. */
  async function handshakesTotal(): Promise<number> {
    let total = 0;
    for (const gateway of liveGateways()) {
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      for (const line of metrics.split('\n')) if (line.startsWith('sessionwire_gateway_handshakes_total{')) total += Number(line.split(' ').at(-1));
    }
    return total;
  }

  function gatewayOf(nodeId: string): GatewayNode {
    const gateway = cluster.gateways.find((candidate) => candidate.nodeId === nodeId);
    if (!gateway) throw new Error(`no gateway ${nodeId}`);
    return gateway;
  }

  it('connects with the login’s access token; the event map is the gateway’s (typed acks)', async () => {
    const user = await newUser();
    const { options, store } = tokenClient(user);
    const client = await connectedClient(options);
    expect(client.state).toBe('connected');
    expect(await whoami(client)).toMatchObject({ userId: user.user.id, sessionId: user.sessionId });
    // The first handshake used the token it was given: no refresh yet.
    expect(store.history).toHaveLength(1);
  });

  it('a handshake refused with UNAUTHORIZED is final: signedOut, tokens cleared, no retry', async () => {
    const store = new RecordingStore();
    const client = sdkClient({ url: nginx.url, credentials: 'token', accessToken: 'not-a-jwt', refreshToken: 'nope', tokenStore: store });
    expect(await nextClientEvent(client, 'signedOut')).toEqual({ reason: 'UNAUTHORIZED' });
    expect(client.state).toBe('signedOut');
    expect(store.get()).toBeUndefined();
    expect(client.socket.active).toBe(false);
  });

  it('TOKEN_EXPIRED at the handshake: refreshes (rotating the refresh token), then connects', async () => {
    const user = await newUser();
    const key = createPrivateKey(await readFile(cluster.signingKeyFile, 'utf8'));
    const now = Math.floor(Date.now() / 1000);
    // The login's own token, re-signed with the real key but expired a minute ago.
    const expired = await new SignJWT({ ...decodeJwt(user.accessToken), iat: now - 120, nbf: now - 120, exp: now - 60 })
      .setProtectedHeader(decodeProtectedHeader(user.accessToken) as { alg: string })
      .sign(key);
    const store = new RecordingStore();
    const client = sdkClient({ url: nginx.url, credentials: 'token', accessToken: expired, refreshToken: user.refreshToken, tokenStore: store });
    const events = recordClientEvents(client);
    await nextClientEvent(client, 'connected');
    expect(events.map(({ event }) => event)).toEqual(['reconnecting', 'connected']);
    const [, refreshed] = store.history;
    expect(refreshed.accessToken).not.toBe(expired);
    expect(refreshed.refreshToken).not.toBe(user.refreshToken);
    expect((await whoami(client)).sessionId).toBe(user.sessionId);
  });

  it('session:ended (logout-all over HTTP): every client signs out with logout_all, tokens cleared, no reconnect attempt', async () => {
    const user = await newUser();
    const first = tokenClient(user);
    const second = tokenClient(await login(nginx.url, user.user.username));
    const clients = await Promise.all([connectedClient(first.options), connectedClient(second.options)]);
    let reconnectAttempts = 0;
    for (const client of clients) client.socket.io.on('reconnect_attempt', () => reconnectAttempts++);
    const signedOut = clients.map((client) => nextClientEvent(client, 'signedOut'));
    const handshakesBefore = await handshakesTotal();

    const response = await request(nginx.url, 'POST', '/auth/logout-all', { headers: bearer(user.accessToken) });
    expect(response.status).toBe(204);

    expect(await Promise.all(signedOut)).toEqual([{ reason: 'logout_all' }, { reason: 'logout_all' }]);
    expect(clients.map((client) => client.state)).toEqual(['signedOut', 'signedOut']);
    expect([first.store.get(), second.store.get()]).toEqual([undefined, undefined]);
    expect(clients.map((client) => client.socket.active)).toEqual([false, false]);
    // Absence has no event to wait for: a bounded window of 20 times the test clients' first reconnection delay.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(reconnectAttempts).toBe(0);
    expect(await handshakesTotal()).toBe(handshakesBefore);
  });

  it('evicted (the user went over the per-user limit): only that client stops; the shared tokens stay, and the session goes on', async () => {
    const user = await newUser();
    // Tabs of one session share the token store.
    const { options, store } = tokenClient(user);
    const oldest = await connectedClient(options);
    const evicted = nextClientEvent(oldest, 'signedOut');
    const others = [await connectedClient(options), await connectedClient(options), await connectedClient(options)];

    expect(await evicted).toEqual({ reason: 'evicted' });
    const kept = store.get();
    expect(kept?.refreshToken).toBeDefined();
    // A token refresh through the shared store still works for the session's other clients, and, as the SDK
    // makes it, writes the rotated pair back for all of them.
    const accessToken = await createTokenRefresher({ store, authBaseUrl: nginx.url })();
    expect(store.get()).toEqual({ accessToken, refreshToken: expect.any(String), expiresAt: expect.any(Number) });
    expect(store.get()?.refreshToken).not.toBe(kept?.refreshToken);
    for (const client of others) expect((await whoami(client)).sessionId).toBe(user.sessionId);
  });

  /**
   * The client's gateway goes away (`stop`); the client must come back through nginx on another node, with an
   * access token refreshed after the connection was lost (the one it held is still valid, so only the
   * recorded refresh tells them apart).
   */
  async function expectReconnectElsewhere(stop: (gateway: GatewayNode) => Promise<unknown>, { drains }: { drains: boolean }): Promise<void> {
    const user = await newUser();
    const { options, store } = tokenClient(user);
    const client: DemoClient = await connectedClient(options);
    const before = await whoami(client);
    const firstSocketId = client.socket.id;
    const events = recordClientEvents(client);
    const back = nextClientEvent(client, 'connected', 20_000);
    const draining = new Promise<boolean>((resolve) => client.socket.once('server:draining', () => resolve(true)));

    await stop(gatewayOf(before.nodeId));
    expect(await back).toEqual({ socketId: expect.any(String), reconnect: true });

    const after = await whoami(client);
    expect(after.nodeId).not.toBe(before.nodeId);
    expect(after.sessionId).toBe(user.sessionId);
    expect(client.socket.id).not.toBe(firstSocketId);
    const names = events.map(({ event }) => event);
    expect(names[0]).toBe('disconnected');
    expect(events[0].payload).toEqual({ reason: expect.stringMatching(/^transport (close|error)$/), willReconnect: true });
    expect(names).toContain('reconnecting');
    expect(names.at(-1)).toBe('connected');
    // Exactly one refresh, after the loss and before the new handshake: a fresh token, a rotated refresh token.
    expect(store.history).toHaveLength(2);
    expect(store.history[1].accessToken).not.toBe(user.accessToken);
    expect(store.history[1].refreshToken).not.toBe(user.refreshToken);
    // A drain announces itself before closing; a killed node cannot.
    expect(await Promise.race([draining, Promise.resolve(false)])).toBe(drains);
  }

  // The last two each take a gateway away for good.
  it('server:draining (SIGTERM): reconnects to another node with a fresh token', async () => {
    await expectReconnectElsewhere((gateway) => gateway.process.stop('SIGTERM'), { drains: true });
  }, 30_000);

  it('network cut (the gateway killed with SIGKILL): reconnects through nginx to another node with a fresh token', async () => {
    await expectReconnectElsewhere((gateway) => gateway.process.stop('SIGKILL'), { drains: false });
  }, 30_000);
});
