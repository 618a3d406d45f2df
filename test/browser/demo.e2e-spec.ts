import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, startStaticSite, type StaticSite } from '../support/browser';
import { TEST_AUTH_ENV } from '../support/auth-app';
import { startCluster, type Cluster } from '../support/cluster';
import { freePort } from '../support/free-port';
import { bearer, connectionsOf as connectionsOfUser, login, registerUser, request, type LoggedIn } from '../support/http';
import { edgeOrigin, startNginx, type Nginx } from '../support/nginx';

/** Generous on purpose (a loaded 2-core machine): the time it really took is printed, not asserted. */
const SIGN_OUT_WAIT_MS = 10_000;
const PASSWORD = 'correct horse battery';

/**
 * A page on another origin (another port of 127.0.0.1: the same site, so the browser still attaches the Lax
 * session cookie) that tries to open an authenticated socket to the gateways with the user's cookie.
 */
const HIJACK_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>elsewhere</title></head>
<body>
<p>websocket: <output id="websocket"></output></p>
<p>polling: <output id="polling"></output></p>
<script type="module">
  import { io } from '/socket.io.esm.min.js';
  const target = new URLSearchParams(location.search).get('target');
  const attempt = (transport) =>
    new Promise((resolve) => {
      const socket = io(target, { transports: [transport], withCredentials: true, reconnection: false, timeout: 10000 });
      socket.on('connect', () => resolve('connected'));
      socket.on('connect_error', (error) => resolve('connect_error: ' + error.message));
    });
  for (const transport of ['websocket', 'polling']) document.getElementById(transport).textContent = await attempt(transport);
</script>
</body></html>`;

type Credential = 'token' | 'cookie';

describe('the demo page in headless Chromium, through nginx, in front of 3 gateways', () => {
  let cluster: Cluster;
  let nginx: Nginx;
  let browser: Browser;
  let elsewhere: StaticSite;
  let admin: LoggedIn;
  let contexts: BrowserContext[] = [];
  let pageErrors: string[] = [];
  let counter = 0;

  beforeAll(async () => {
    const port = await freePort();
    cluster = await startCluster({ gateways: 3, allowedOrigins: [edgeOrigin(port)] });
    nginx = await startNginx(cluster, { port });
    elsewhere = await startStaticSite({ '/': HIJACK_PAGE });
    browser = await launchChromium();
    admin = await login(nginx.url, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
  }, 90_000);

  afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
    // An exception in the page is a bug of the page, whatever the test checked.
    expect(pageErrors).toEqual([]);
    pageErrors = [];
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await elsewhere?.close();
    await nginx?.stop();
    await cluster?.cleanup();
  }, 60_000);

  /** A new browser context (its own cookie jar: another browser, as far as the server can tell) on the demo. */
  async function openDemo(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${nginx.url}/`);
    return page;
  }

  async function signIn(page: Page, username: string, credential: Credential, { signUp = false } = {}): Promise<void> {
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(username === TEST_AUTH_ENV.ADMIN_USERNAME ? TEST_AUTH_ENV.ADMIN_PASSWORD : PASSWORD);
    await page.getByLabel(credential === 'token' ? /Bearer token/ : /HttpOnly session cookie/).check();
    await page.getByRole('button', { name: signUp ? 'Sign up' : 'Sign in', exact: true }).click();
    await page.locator('body[data-state="signed-in"]').waitFor();
  }

  /** Clicks Connect; resolves with the node `whoami` named, once the page has also refreshed its lists. */
  async function connect(page: Page): Promise<string> {
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.locator('#connection[data-state="connected"]').waitFor();
    const node = page.locator('#node', { hasNotText: /^none$/ });
    await node.waitFor();
    // The refresh after whoami starts in the same task that shows the node, so `aria-busy` is already set.
    await page.locator('main[aria-busy="false"]').waitFor();
    return (await node.textContent()) ?? '';
  }

  /** Opens the demo, signs in (or up) and connects; counts the WebSocket connections the page opens. */
  async function connectedTab(username: string, credential: Credential, signUp = false) {
    const page = await openDemo();
    const sockets = { opened: 0 };
    page.on('websocket', (socket) => {
      if (socket.url().includes('/socket.io/')) sockets.opened++;
    });
    await signIn(page, username, credential, { signUp });
    const node = await connect(page);
    return { page, node, sockets };
  }

  /**
   * Clicks the button with id `id` and resolves with the time (the page's `Date.now()`) its click handler ran:
   * the start of the user's action, whatever the click took to arrive on a busy machine.
   */
  async function clickAndTime(page: Page, id: string): Promise<number> {
    // A string, evaluated in the page (the test's TypeScript has no DOM types).
    await page.evaluate(`document.getElementById('${id}').addEventListener('click', (event) => { event.currentTarget.dataset.clickedAt = Date.now(); }, { once: true })`);
    const button = page.locator(`#${id}`);
    await button.click();
    return Number(await button.getAttribute('data-clicked-at'));
  }

  /** Waits for "Signed out: <reason>" and returns how long after `since` the page showed it (same clock). */
  async function signedOutAfter(page: Page, reason: string, since: number): Promise<number> {
    const banner = page.getByRole('alert').filter({ hasText: `Signed out: ${reason}` });
    await banner.waitFor({ timeout: SIGN_OUT_WAIT_MS });
    return Number(await banner.getAttribute('data-at')) - since;
  }

  /** The page is signed out and not reconnecting: no socket, and no WebSocket opened after the first one. */
  async function expectStopped(tab: { page: Page; sockets: { opened: number } }): Promise<void> {
    await tab.page.locator('body[data-state="signed-out"] #connection[data-state="idle"]').waitFor({ state: 'attached' });
    expect(tab.sockets.opened).toBe(1);
    expect(await tab.page.getByRole('button', { name: 'Connect', exact: true }).isVisible()).toBe(false);
  }

  /** Still connected and served: a chat message goes to its node and back through the room. */
  async function expectAlive(page: Page, text: string): Promise<void> {
    expect(await page.locator('#connection').getAttribute('data-state')).toBe('connected');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.locator('#joined', { hasText: 'joined lobby' }).waitFor();
    await page.getByLabel('Message', { exact: true }).fill(text);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('#chat-log li', { hasText: text }).waitFor();
  }

  const connectionsOf = (userId: string) => connectionsOfUser(nginx.url, admin, userId);

  const userId = async (username: string) => (await request<{ id: string }>(nginx.url, 'GET', `/admin/users?username=${username}`, { headers: bearer(admin.accessToken) })).body.id;

  it('"Log out everywhere" in one tab signs out the same user’s other tab at once; another user stays connected', async () => {
    const alice = `alice-${++counter}`;
    const bob = `bob-${counter}`;
    const first = await connectedTab(alice, 'token', true);
    const second = await connectedTab(alice, 'cookie');
    const other = await connectedTab(bob, 'cookie', true);
    console.log(`tabs on nodes: ${alice} (token) ${first.node}, ${alice} (cookie) ${second.node}, ${bob} ${other.node}`);

    expect(await first.page.getByRole('button', { name: 'Log out everywhere' }).isVisible()).toBe(true);
    const clicked = await clickAndTime(first.page, 'logout-all');

    const elapsed = await signedOutAfter(second.page, 'logout_all', clicked);
    console.log(`"Log out everywhere": the other tab showed "Signed out: logout_all" ${elapsed} ms after the click in the first`);
    await signedOutAfter(first.page, 'logout_all', clicked);
    await expectAlive(other.page, 'still here');
    await expectStopped(first);
    await expectStopped(second);
    expect(await connectionsOf(await userId(alice))).toEqual([]);
    expect(await connectionsOf(await userId(bob))).toHaveLength(1);
  }, 60_000);

  it('an admin revoke in the admin view signs out every tab of that user at once; another user stays connected', async () => {
    const carol = `carol-${++counter}`;
    const dave = `dave-${counter}`;
    const first = await connectedTab(carol, 'cookie', true);
    const second = await connectedTab(carol, 'token');
    const other = await connectedTab(dave, 'token', true);
    const operator = await connectedTab(TEST_AUTH_ENV.ADMIN_USERNAME, 'cookie');

    await operator.page.getByLabel('User to look up').fill(carol);
    await operator.page.getByRole('button', { name: 'Show connections' }).click();
    const rows = operator.page.locator('#user-connections tbody tr');
    await rows.nth(1).waitFor();
    expect((await rows.allInnerTexts()).map((row) => row.split('\t')[0]).sort()).toEqual([first.node, second.node].sort());

    expect(await operator.page.getByRole('button', { name: 'Revoke all sessions of this user' }).isVisible()).toBe(true);
    const clicked = await clickAndTime(operator.page, 'revoke');

    const elapsed = await Promise.all([first, second].map((tab) => signedOutAfter(tab.page, 'admin_revoke', clicked)));
    console.log(`admin revoke: ${carol}'s tabs showed "Signed out: admin_revoke" ${elapsed.join(' and ')} ms after the admin's click`);
    // The admin API answers once every live gateway confirmed: both sockets closed, no node missing.
    const result = operator.page.locator('#revoke-result', { hasText: `Revoked 2 session(s) of ${carol}` });
    await result.waitFor();
    expect(await result.textContent()).toMatch(/; sockets closed: 2 \([^;]*\)\.$/);
    await expectAlive(other.page, 'dave is fine');
    await expectAlive(operator.page, 'so is the admin');
    await expectStopped(first);
    await expectStopped(second);
    expect(await connectionsOf(await userId(carol))).toEqual([]);
  }, 60_000);

  it('the client SDK bundle (/vendor/sessionwire-client.js) loads in Chromium through nginx and connects with a token', async () => {
    const frank = `frank-${++counter}`;
    await registerUser(nginx.url, frank, PASSWORD);
    const { accessToken, refreshToken, user } = await login(nginx.url, frank, PASSWORD);
    const page = await openDemo();
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    // A string, evaluated in the page (the test's TypeScript has no DOM types); the bundle is imported as the
    // demo imports it, from nginx's /vendor/.
    const result = await page.evaluate(`(async () => {
      const sdk = await import('/vendor/sessionwire-client.js');
      const client = sdk.connect({ credentials: 'token', accessToken: ${JSON.stringify(accessToken)}, refreshToken: ${JSON.stringify(refreshToken)} });
      await new Promise((resolve, reject) => {
        client.on('connected', resolve);
        client.on('signedOut', ({ reason }) => reject(new Error('signed out: ' + reason)));
        setTimeout(() => reject(new Error('not connected: ' + client.state)), 15000);
      });
      const who = await client.socket.emitWithAck('whoami');
      const state = client.state;
      client.close();
      return { state, userId: who.userId, nodeId: who.nodeId, exports: Object.keys(sdk).sort() };
    })()`);
    expect(result).toEqual({
      state: 'connected',
      userId: user.id,
      nodeId: expect.stringMatching(/^gw-[123]$/),
      exports: ['MemoryTokenStore', 'RefreshRejectedError', 'RefreshUnavailableError', 'SessionwireClient', 'backoffDelay', 'connect', 'createTokenRefresher'],
    });
    // WebSocket first, through nginx's public port.
    expect(sockets[0]).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${nginx.port}/socket\\.io/\\?.*transport=websocket`));
  }, 60_000);

  it('a page on a foreign origin cannot open a socket with the user’s cookie (CSWSH); the demo’s own origin can', async () => {
    const erin = `erin-${++counter}`;
    const own = await connectedTab(erin, 'cookie', true);
    const cookies = await own.page.context().cookies(nginx.url);
    expect(cookies.map(({ name, httpOnly, sameSite }) => ({ name, httpOnly, sameSite }))).toEqual([{ name: 'sid', httpOnly: true, sameSite: 'Lax' }]);

    // Same browser context, so the same cookie jar; 127.0.0.1 on another port is another origin but the same
    // site, so SameSite=Lax does not hold the cookie back: only the gateways' Origin check stands in the way.
    const hijack = await own.page.context().newPage();
    hijack.on('pageerror', (error) => pageErrors.push(error.message));
    await hijack.goto(`${elsewhere.origin}/?target=${encodeURIComponent(nginx.url)}`);
    for (const transport of ['websocket', 'polling']) {
      const result = hijack.locator(`#${transport}`);
      await hijack.locator(`#${transport}:not(:empty)`).waitFor({ timeout: 15_000 });
      expect(await result.textContent()).toMatch(/^connect_error: /);
    }
    expect((await connectionsOf(await userId(erin))).map((connection) => connection.nodeId)).toEqual([own.node]);
    expect(await own.page.locator('#connection').getAttribute('data-state')).toBe('connected');
  }, 60_000);
});
