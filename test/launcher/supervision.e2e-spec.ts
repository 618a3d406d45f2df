import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closeAllClients, connectedClient, nextClientEvent, recordClientEvents, whoami, type ClientEventRecord, type DemoClient } from '../support/client';
import { eventually } from '../support/eventually';
import { connectionsOf, login, registerUser, type LoggedIn } from '../support/http';
import { groupAlive, Launcher } from '../support/launcher';

const ADMIN = { username: 'boss', password: `boss-${randomBytes(12).toString('base64url')}` };

describe('npm start: a supervised local cluster (Redis, auth, 3 gateways, nginx)', () => {
  let launcher: Launcher;
  let admin: LoggedIn;
  let counter = 0;

  beforeAll(async () => {
    // A short drain window keeps the SIGTERM case quick; the drain itself is the gateway's, unchanged.
    launcher = await Launcher.start({ env: { ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, DRAIN_WINDOW: '1' } });
    admin = await login(launcher.url, ADMIN.username, ADMIN.password);
  }, 180_000);

  afterEach(() => closeAllClients());
  afterAll(async () => {
    closeAllClients();
    await launcher?.kill();
  }, 60_000);

  async function newUser(): Promise<LoggedIn> {
    const username = `supervised-${++counter}`;
    await registerUser(launcher.url, username);
    return login(launcher.url, username);
  }

  /** An SDK client through nginx (token credentials, reconnecting with fresh tokens), connected, with its node. */
  async function clientOf(user: LoggedIn): Promise<{ client: DemoClient; nodeId: string; events: ClientEventRecord[] }> {
    const client = await connectedClient({
      url: launcher.url,
      credentials: 'token',
      accessToken: user.accessToken,
      refreshToken: user.refreshToken,
      extraHeaders: { origin: launcher.origin },
    });
    return { client, nodeId: (await whoami(client)).nodeId, events: recordClientEvents(client) };
  }

  /** The registry lists exactly the sockets these clients hold now (nothing stale, nothing missing). */
  async function expectRegistryExactly(user: LoggedIn, clients: readonly DemoClient[]): Promise<void> {
    await eventually(async () => {
      const listed = (await connectionsOf(launcher.url, admin, user.user.id)).map((connection) => connection.socketId).sort();
      expect(listed).toEqual(clients.map((client) => client.socket.id).sort());
    }, 20_000, 250);
  }

  /** Opens clients until one lands on `nodeId` (nginx may keep a node it saw fail out of rotation for a few seconds). */
  async function clientOnNode(user: LoggedIn, nodeId: string) {
    return eventually(async () => {
      const candidate = await clientOf(user);
      if (candidate.nodeId !== nodeId) candidate.client.close();
      expect(candidate.nodeId).toBe(nodeId);
      return candidate;
    }, 40_000, 500);
  }

  /**
   * Ends one gateway with `signal` and checks what a horizontally scaled cluster must do: its clients come back on
   * the other nodes, the others are untouched, the launcher restarts it (and nothing else) and it takes new
   * connections, and the registry holds exactly the live sockets.
   */
  async function loseGateway(nodeId: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const user = await newUser();
    const clients = await Promise.all(Array.from({ length: 6 }, () => clientOf(user)));
    const victims = clients.filter((entry) => entry.nodeId === nodeId);
    const bystanders = clients.filter((entry) => entry.nodeId !== nodeId);
    expect(victims.length).toBeGreaterThan(0);
    const servicesBefore = await launcher.services();
    const reconnected = victims.map(({ client }) => nextClientEvent(client, 'connected', 30_000));

    const victim = await launcher.signalService(nodeId, signal);
    for (const payload of await Promise.all(reconnected)) expect(payload.reconnect).toBe(true);
    // Meanwhile the others serve: the dropped clients are back (on another node, or on the restarted one), and a
    // new client connects through nginx.
    const during = await clientOf(user);
    expect(launcher.running).toBe(true);

    await launcher.waitForOutput(new RegExp(`${nodeId} is back`), 60_000);
    const servicesAfter = await launcher.services();
    expect(servicesAfter.find((service) => service.name === nodeId)?.pgid).not.toBe(victim.pgid);
    expect(groupAlive(victim.pgid)).toBe(false);
    // Only the lost gateway was restarted.
    expect(servicesAfter.filter((service) => service.name !== nodeId)).toEqual(servicesBefore.filter((service) => service.name !== nodeId));

    const onRestarted = await clientOnNode(user, nodeId);
    for (const { events } of bystanders) expect(events.filter((entry) => entry.event === 'disconnected')).toEqual([]);
    for (const { client } of [...clients, during, onRestarted]) expect(client.state).toBe('connected');
    await expectRegistryExactly(
      user,
      [...clients, during, onRestarted].map(({ client }) => client),
    );
  }

  it('honours ADMIN_USERNAME / ADMIN_PASSWORD from the environment (no password generated or printed)', async () => {
    expect(admin.user).toMatchObject({ username: ADMIN.username, roles: expect.arrayContaining(['admin']) });
    expect(existsSync(join(launcher.dataDir, 'admin-password'))).toBe(false);
    expect(launcher.printed()).toContain(`admin login: ${ADMIN.username} / (the password in ADMIN_PASSWORD)`);
    expect(launcher.printed()).not.toContain(ADMIN.password);
    // Only the auth service gets the password: not the gateways, Redis or nginx.
    for (const service of await launcher.services()) {
      const environment = await readFile(`/proc/${service.pgid}/environ`, 'utf8');
      expect({ service: service.name, hasPassword: environment.includes('ADMIN_PASSWORD=') }).toEqual({ service: service.name, hasPassword: service.name === 'auth' });
    }
  });

  it('kill -9 of a gateway: the others keep serving, it is restarted and takes new connections, no stale registry entries', async () => {
    await loseGateway('gateway-1', 'SIGKILL');
  }, 150_000);

  it('SIGTERM to a gateway: it drains, exits, is restarted, and the others keep serving', async () => {
    await loseGateway('gateway-2', 'SIGTERM');
    expect(launcher.printed()).toMatch(/gateway-2 exited \(.+\) after .+; restarting it in/);
  }, 150_000);

  it('Ctrl-C stops every service and removes the pid file', async () => {
    const services = await launcher.services();
    await launcher.interrupt();
    expect(launcher.printed()).toContain('SIGINT: stopping nginx, the apps, then Redis');
    expect(launcher.printed()).not.toContain('Stopping failed');
    for (const service of services) expect({ service: service.name, alive: groupAlive(service.pgid) }).toEqual({ service: service.name, alive: false });
    expect(existsSync(join(launcher.dataDir, 'cluster.pids'))).toBe(false);
  }, 60_000);
});

describe('npm start: a service that crashes again and again right after starting', () => {
  let launcher: Launcher;

  beforeAll(async () => {
    launcher = await Launcher.start({ gateways: 0 });
  }, 180_000);

  afterAll(async () => {
    await launcher?.kill();
  }, 60_000);

  it('stops the launcher with its log tail instead of restarting it forever', async () => {
    const services = await launcher.services();
    // A bad configuration that only shows at the next start: the development signing key is no longer a key.
    await writeFile(join(launcher.dataDir, 'keys/access-token-es256.pem'), 'not a key\n');
    await launcher.signalService('auth', 'SIGKILL');

    expect(await launcher.exit()).toEqual({ code: 1, signal: null });
    const printed = launcher.printed();
    expect(printed).toMatch(/auth crashed 5 times in a row right after starting \(last: exit code 1\); not restarting it/);
    expect(printed).toMatch(/Last lines of .*auth\.log:[\s\S]*is not a PEM private key/);
    for (const service of services) expect({ service: service.name, alive: groupAlive(service.pgid) }).toEqual({ service: service.name, alive: false });
  }, 120_000);
});
