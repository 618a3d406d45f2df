import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TEST_AUTH_ENV } from '../support/auth-app';
import { launchChromium } from '../support/browser';
import { startCluster, type Cluster } from '../support/cluster';
import { freePort } from '../support/free-port';
import { connectionsOf, login, registerUser, request, type LoggedIn } from '../support/http';
import { edgeOrigin, startNginx, type Nginx } from '../support/nginx';
import { closeAllSockets, connectSocket, disconnected, expectAlive } from '../support/sockets';

/** `UPDATE_SCREENSHOTS=1` refreshes docs/console.png (linked from the README) from this run. */
const SCREENSHOT = join(__dirname, '..', '..', 'docs', 'console.png');

describe('the operator console (/console/) in headless Chromium, through nginx, in front of 3 gateways', () => {
  let cluster: Cluster;
  let nginx: Nginx;
  let browser: Browser;
  let admin: LoggedIn;
  let contexts: BrowserContext[] = [];
  let pageErrors: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    const port = await freePort();
    // Reports every second, so the cluster table and the latency chart catch up quickly.
    cluster = await startCluster({ gateways: 3, allowedOrigins: [edgeOrigin(port)], gatewayEnv: { HEARTBEAT_INTERVAL: '1', HEARTBEAT_TTL: '3' } });
    nginx = await startNginx(cluster, { port });
    browser = await launchChromium();
    admin = await login(nginx.url, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
  }, 90_000);

  afterEach(async () => {
    closeAllSockets();
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
    // An exception in the page, or a request its CSP refused, is a bug of the page.
    expect(pageErrors).toEqual([]);
    pageErrors = [];
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await cluster?.cleanup();
  }, 60_000);

  async function openConsole(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 1400 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[134]/.test(message.text())) pageErrors.push(message.text());
    });
    await page.goto(`${nginx.url}/console/`);
    return page;
  }

  async function signIn(page: Page, username: string, password: string): Promise<void> {
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  it('is served with a strict CSP: own scripts and styles only, network access to this origin only', async () => {
    const response = await fetch(`${nginx.url}/console/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('an admin signs in, sees the 3 nodes, finds a user, revokes one session, then the user, and sees the receipts and the sockets gone', async () => {
    const username = `erin-${++counter}`;
    const user = await registerUser(nginx.url, username);
    const revoked = await login(nginx.url, username, undefined, { 'user-agent': 'laptop' });
    const kept = await login(nginx.url, username, undefined, { 'user-agent': 'phone' });
    const [gw1, gw2, gw3] = cluster.gateways;
    const revokedSockets = await Promise.all([gw1, gw2].map((node) => connectSocket(node.url, { token: revoked.accessToken })));
    const keptSocket = await connectSocket(gw3.url, { token: kept.accessToken, transport: 'polling' });
    const closed = revokedSockets.map((socket) => disconnected(socket, 20_000));

    const page = await openConsole();
    await signIn(page, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
    await page.locator('body[data-state="signed-in"]').waitFor();

    // The cluster: every node alive, subscribed, not draining (its report), with its live sockets (the registry).
    for (const node of cluster.gateways) {
      await page.locator(`#nodes tr[data-node="${node.nodeId}"]`, { hasText: /alive\s*\d+\s*ready\s*no/ }).waitFor();
    }
    expect(await page.locator('#nodes tbody tr').count()).toBe(3);

    await page.getByLabel('Username to find', { exact: true }).fill(username);
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.locator('#user-id', { hasText: user.id }).waitFor();
    expect(await page.locator('#sessions tbody tr').count()).toBe(2);
    const socketRows = page.locator('#sockets tbody tr');
    expect(await socketRows.count()).toBe(3);
    // Node, socket, session, transport, connected since, credential expiry.
    const socketCells = (await socketRows.allInnerTexts()).map((row) => row.split('\t'));
    expect(socketCells.map((cells) => `${cells[0]} ${cells[3]}`).sort()).toEqual(['gw-1 websocket', 'gw-2 websocket', 'gw-3 polling']);
    for (const cells of socketCells) expect(cells[5]).not.toBe('—');

    await page.getByRole('button', { name: `Revoke session ${revoked.sessionId}` }).click();

    // The receipt: the gateways' confirmations, per node.
    const receipt = page.locator('#receipt');
    await receipt.locator('#receipt-summary', { hasText: 'every live node confirmed' }).waitFor();
    expect(await receipt.locator('#receipt-summary').textContent()).toBe(
      `Revoked session ${revoked.sessionId}: 1 session(s) ended, 2 socket(s) closed; every live node confirmed.`,
    );
    const perNode = (await receipt.locator('tbody tr').allInnerTexts()).map((row) => row.split('\t').join(' ')).sort();
    expect(perNode).toEqual(['gw-1 1', 'gw-2 1', 'gw-3 0']);
    await Promise.all(closed);

    // The sockets of the revoked session are gone from the list; the other session and its socket stay.
    await page.locator('main[aria-busy="false"]').waitFor();
    expect(await page.locator('#sessions tbody tr').allInnerTexts()).toEqual([expect.stringContaining(kept.sessionId)]);
    expect(await socketRows.allInnerTexts()).toEqual([expect.stringContaining(kept.sessionId)]);
    await expectAlive([keptSocket]);
    expect((await connectionsOf(nginx.url, admin, user.id)).map((entry) => entry.sessionId)).toEqual([kept.sessionId]);

    // The chart: the two nodes' observations arrive with their next reports.
    // No revocation closed a socket before this one in this cluster: it made two observations.
    await page.locator('#latency-summary[data-count]:not([data-count="0"]):not([data-count="1"])').waitFor({ timeout: 30_000 });
    expect(await page.locator('#latency-summary').textContent()).toMatch(/^\d+ close\(s\) of a revoked session's sockets on a node, since the live nodes started: p50 [\d.]+ ms, p95 [\d.]+ ms, mean [\d.]+ ms\.$/);
    await page.locator('#latency-chart circle').first().waitFor({ state: 'attached', timeout: 30_000 });

    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Then the whole user: the remaining session and its socket on gw-3.
    const keptClosed = disconnected(keptSocket, 20_000);
    await page.getByRole('button', { name: 'Revoke every session of this user', exact: true }).click();
    await receipt.locator('#receipt-summary', { hasText: `Revoked user ${username}` }).waitFor();
    expect(await receipt.locator('#receipt-summary').textContent()).toBe(`Revoked user ${username}: 1 session(s) ended, 1 socket(s) closed; every live node confirmed.`);
    await keptClosed;
    await page.locator('main[aria-busy="false"]').waitFor();
    expect(await page.locator('#sessions tbody tr').count()).toBe(0);
    expect(await socketRows.count()).toBe(0);
  }, 90_000);

  it('refuses a non-admin clearly, and ends the session that sign-in opened', async () => {
    const username = `frank-${++counter}`;
    await registerUser(nginx.url, username);
    const page = await openConsole();

    await signIn(page, username, 'correct horse battery');

    await page.locator('body[data-state="refused"]').waitFor();
    expect(await page.locator('#refused').textContent()).toBe(`${username} is not an administrator: the console is for administrators only.`);
    expect(await page.locator('#console').isVisible()).toBe(false);
    const me = await page.evaluate("fetch('/auth/me', { credentials: 'same-origin' }).then((response) => response.status)");
    expect(me).toBe(401);
    // The admin API itself refuses that user whatever the page shows.
    const other = await login(nginx.url, username);
    const refused = await request(nginx.url, 'GET', '/admin/nodes', { headers: { authorization: `Bearer ${other.accessToken}` } });
    expect(refused.status).toBe(403);
  }, 60_000);
});
