import { createTokenRefresher, MemoryTokenStore } from '@sessionwire/client';
import { decodeJwt } from 'jose';
import { closeAllClients, connectedClient, nextClientEvent, recordClientEvents, whoami } from '../support/client';
import { startCluster, type Cluster } from '../support/cluster';
import { login, registerUser, type LoggedIn } from '../support/http';

/** The scenario: a 20-second access token, a connection kept for 2 minutes. Inherently slow. */
const ACCESS_TOKEN_TTL_S = 20;
const EXPIRY_WARNING_S = 5;
const KEEP_CONNECTED_MS = 120_000;

describe('client SDK: short-lived access tokens refreshed in-band (auth:expiring → auth:refresh)', () => {
  let cluster: Cluster;
  let counter = 0;

  beforeAll(async () => {
    cluster = await startCluster({
      gateways: 2,
      env: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_S) },
      gatewayEnv: { AUTH_EXPIRY_WARNING: String(EXPIRY_WARNING_S) },
    });
  }, 90_000);

  afterEach(() => closeAllClients());
  afterAll(async () => {
    closeAllClients();
    await cluster?.cleanup();
  }, 60_000);

  async function newUser(): Promise<LoggedIn> {
    const username = `sdk-refresh-${++counter}`;
    await registerUser(cluster.authUrl, username);
    return login(cluster.authUrl, username);
  }

  const clientOptions = (user: LoggedIn, refreshToken = user.refreshToken) => ({
    url: cluster.gateways[0].url,
    authBaseUrl: cluster.authUrl,
    credentials: 'token' as const,
    accessToken: user.accessToken,
    refreshToken,
  });

  it('a refresh the auth service refuses, on auth:expiring: signedOut {refresh_failed} and disconnected, before the token expires', async () => {
    const user = await newUser();
    const client = await connectedClient(clientOptions(user, 'not-a-refresh-token'));
    const signedOut = await nextClientEvent(client, 'signedOut', (ACCESS_TOKEN_TTL_S + 5) * 1000);
    expect(signedOut).toEqual({ reason: 'refresh_failed' });
    expect(client.state).toBe('signedOut');
    expect(client.socket.connected).toBe(false);
    expect(client.socket.active).toBe(false);
    // Signed out on the failed refresh, not by the gateway at `exp`.
    expect(Date.now()).toBeLessThan(Number(decodeJwt(user.accessToken).exp) * 1000);
  }, 45_000);

  it('the auth service out of reach until the token expires: the gateway ends the socket, the client reconnects with a fresh token, no sign-out', async () => {
    const user = await newUser();
    const exp = Number(decodeJwt(user.accessToken).exp);
    const store = new MemoryTokenStore({ accessToken: user.accessToken, refreshToken: user.refreshToken });
    const realRefresh = createTokenRefresher({ store, authBaseUrl: cluster.authUrl });
    // What the SDK sees while the auth service cannot be reached (any error but a rejection), until after `exp`.
    const refresh = async () => {
      if (Date.now() < exp * 1000 + 500) throw new Error('auth service unreachable');
      return realRefresh();
    };
    const client = await connectedClient({ url: cluster.gateways[0].url, credentials: 'token', tokenStore: store, refresh });
    const events = recordClientEvents(client);

    expect(await nextClientEvent(client, 'connected', (ACCESS_TOKEN_TTL_S + 15) * 1000)).toEqual({ socketId: expect.any(String), reconnect: true });
    expect(events.map(({ event }) => event)).not.toContain('signedOut');
    expect(events[0]).toEqual({ event: 'disconnected', payload: { reason: 'io server disconnect', willReconnect: true } });
    expect(Date.now()).toBeGreaterThan(exp * 1000);
    expect(store.get()?.refreshToken).not.toBe(user.refreshToken);
    expect((await whoami(client)).sessionId).toBe(user.sessionId);
  }, 60_000);

  it(`stays connected for ${KEEP_CONNECTED_MS / 1000} s through several refreshes: the same socket, no reconnect`, async () => {
    const user = await newUser();
    const firstExp = Number(decodeJwt(user.accessToken).exp);
    const client = await connectedClient(clientOptions(user));
    const socketId = client.socket.id;
    const events = recordClientEvents(client);
    let engineReconnects = 0;
    client.socket.io.on('reconnect_attempt', () => engineReconnects++);

    const started = Date.now();
    const exps: number[] = [];
    // Each refresh must come before the current token's `exp`, so waiting for them one by one also bounds them.
    while (Date.now() - started < KEEP_CONNECTED_MS) {
      exps.push((await nextClientEvent(client, 'tokenRefreshed', (ACCESS_TOKEN_TTL_S + 5) * 1000)).exp);
    }
    console.log(`${exps.length} in-band refreshes in ${Math.round((Date.now() - started) / 1000)} s on socket ${socketId}`);

    expect(exps.length).toBeGreaterThanOrEqual(5);
    expect(exps).toEqual([...exps].sort((a, b) => a - b));
    expect(exps[0]).toBeGreaterThan(firstExp);
    expect(Date.now() / 1000).toBeGreaterThan(firstExp + KEEP_CONNECTED_MS / 1000 - ACCESS_TOKEN_TTL_S);
    expect(events.map(({ event }) => event)).toEqual(exps.map(() => 'tokenRefreshed'));
    expect(engineReconnects).toBe(0);
    expect(client.state).toBe('connected');
    expect(client.socket.id).toBe(socketId);
    expect((await whoami(client)).sessionId).toBe(user.sessionId);
  }, KEEP_CONNECTED_MS + 60_000);
});
