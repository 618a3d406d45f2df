import { externalSessionId, externalUserId } from '@app/oidc';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { LOCAL_PROVIDER_PATH } from '../../scripts/lib/local-provider.mjs';
import { TEST_AUTH_ENV } from '../support/auth-app';
import { launchChromium } from '../support/browser';
import { startCluster, type Cluster } from '../support/cluster';
import { freePort } from '../support/free-port';
import { eventually } from '../support/eventually';
import { connectionsOf, login, request, type LoggedIn } from '../support/http';
import { edgeOrigin, startNginx, type Nginx } from '../support/nginx';
import { OidcProvider } from '../support/oidc-provider';

/** Generous on purpose (a loaded 2-core machine). */
const SIGN_OUT_WAIT_MS = 10_000;

/** The local provider behind an nginx on `port` (picked before), as `npm start -- --oidc` runs it, the demo page its client. */
function startProviderBehindEdge(port: number): Promise<OidcProvider> {
  const edge = edgeOrigin(port);
  return OidcProvider.start({ backchannelLogoutUri: `${edge}/oidc/backchannel-logout`, issuer: `${edge}${LOCAL_PROVIDER_PATH}`, redirectUris: [`${edge}/`] });
}

/**
 * Browser contexts (each another browser, as far as the servers can tell) whose pages report their exceptions and
 * CSP violations in `errors`.
 */
class Tabs {
  readonly errors: string[] = [];
  private contexts: BrowserContext[] = [];

  constructor(private readonly browser: Browser) {}

  async open(url: string): Promise<Page> {
    const context = await this.browser.newContext();
    this.contexts.push(context);
    context.on('page', (page) => {
      page.on('pageerror', (error) => this.errors.push(error.message));
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) this.errors.push(message.text());
      });
    });
    const page = await context.newPage();
    await page.goto(url);
    return page;
  }

  /** Closes them; resolves with the errors their pages reported, and forgets them. */
  async closeAll(): Promise<string[]> {
    await Promise.all(this.contexts.map((context) => context.close()));
    this.contexts = [];
    return this.errors.splice(0);
  }
}

/** "Sign in with the local identity provider" on the demo `page`, through the provider's own login and consent pages. */
async function signInAtProvider(page: Page, provider: OidcProvider, username: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign in with the local identity provider' }).click();
  // The provider's own pages, under the page's origin: its development login, then its consent.
  await page.waitForURL(`${provider.issuer}/interaction/**`);
  await page.locator('input[name="login"]').fill(username);
  await page.locator('input[name="password"]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  // Back on the demo page: the code exchanged, the socket connected through nginx with the provider's access token.
  await page.locator('body[data-state="signed-in"] #connection[data-state="connected"]').waitFor();
}

/** Counts the Socket.IO WebSocket connections `page` opens from now on. */
function countWebSockets(page: Page): { opened: number } {
  const sockets = { opened: 0 };
  page.on('websocket', (socket) => {
    if (socket.url().includes('/socket.io/')) sockets.opened++;
  });
  return sockets;
}

/**
 * The demo page's "Sign in with the local identity provider", as `npm start -- --oidc` serves it: the real provider
 * (scripts/oidc-provider.mjs) behind nginx at /idp/ (its issuer is `<edge>/idp`), the page running the authorization
 * code flow with PKCE in headless Chromium under its own strict CSP, the socket opened through nginx to one of 3
 * gateways with the provider's access token, and the provider's RP-initiated logout ending it through its back-channel
 * logout (provider → nginx → auth → Redis → the gateway).
 */
describe('the demo page signs in with the local identity provider (headless Chromium, nginx, 3 gateways)', () => {
  let provider: OidcProvider;
  let cluster: Cluster;
  let nginx: Nginx;
  let browser: Browser;
  let tabs: Tabs;
  let admin: LoggedIn;

  beforeAll(async () => {
    const port = await freePort();
    provider = await startProviderBehindEdge(port);
    cluster = await startCluster({ gateways: 3, env: provider.oidcIssuersEnv(), allowedOrigins: [edgeOrigin(port)] });
    nginx = await startNginx(cluster, { port, oidcProviderAddress: provider.address });
    browser = await launchChromium();
    tabs = new Tabs(browser);
    admin = await login(nginx.url, TEST_AUTH_ENV.ADMIN_USERNAME, TEST_AUTH_ENV.ADMIN_PASSWORD);
  }, 90_000);

  // An exception or a CSP violation in a page is a bug of the page, whatever the test checked.
  afterEach(async () => expect(await tabs.closeAll()).toEqual([]), 60_000);

  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await cluster?.cleanup();
    await provider?.stop();
  }, 60_000);

  it('signs in with the code flow and PKCE, connects as the provider’s user, and "Sign out at the provider" ends the socket with provider_logout', async () => {
    const page = await tabs.open(`${nginx.url}/`);
    const sockets = countWebSockets(page);
    await signInAtProvider(page, provider, 'dana');
    const userId = externalUserId(provider.issuer, 'dana');
    await page.locator('#user-id', { hasText: userId }).waitFor();
    expect(await page.locator('#provider-issuer').textContent()).toBe(provider.issuer);
    expect(await page.locator('#provider-sub').textContent()).toBe('dana');
    const sid = (await page.locator('#provider-sid').textContent()) ?? '';
    expect(sid).not.toBe('');
    // The code and state left the address bar.
    expect(page.url()).toBe(`${nginx.url}/`);
    // The registry holds exactly this socket, bound to that provider session, on the node the page shows.
    const node = await page.locator('#node', { hasNotText: /^none$/ }).textContent();
    expect(await connectionsOf(nginx.url, admin, userId)).toEqual([
      expect.objectContaining({ nodeId: node, sessionId: externalSessionId(provider.issuer, sid) }),
    ]);

    // RP-initiated logout in a window of its own: the provider asks, the user confirms, the window closes itself.
    const [signOutWindow] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('button', { name: 'Sign out at the provider' }).click()]);
    const signOutWindowClosed = signOutWindow.waitForEvent('close');
    await signOutWindow.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('alert').filter({ hasText: 'Signed out: provider_logout' }).waitFor({ timeout: SIGN_OUT_WAIT_MS });
    await signOutWindowClosed;

    await page.locator('body[data-state="signed-out"] #connection[data-state="idle"]').waitFor({ state: 'attached' });
    expect(sockets.opened).toBe(1);
    // The gateway removes the socket from the registry once it is closed, right after the event the page showed.
    await eventually(async () => expect(await connectionsOf(nginx.url, admin, userId)).toEqual([]), 10_000);
  }, 90_000);

  it('refuses an answer whose state is not the one the tab sent (a forged callback), and stays signed out', async () => {
    const page = await tabs.open(`${nginx.url}/?code=forged&state=forged&iss=${encodeURIComponent(provider.issuer)}`);
    await page.getByRole('alert').filter({ hasText: 'its state is not the one this tab sent' }).waitFor();
    expect(await page.locator('body').getAttribute('data-state')).toBe('signed-out');
    expect(page.url()).toBe(`${nginx.url}/`);
  });

  it('without a provider behind nginx, /idp/ is a JSON 404 and the page offers no provider sign-in', async () => {
    const plain = await startNginx(cluster);
    try {
      const discovery = await request<{ code?: string }>(plain.url, 'GET', `${LOCAL_PROVIDER_PATH}/.well-known/openid-configuration`);
      expect(discovery.status).toBe(404);
      expect(discovery.body.code).toBe('NOT_FOUND');
      const page = await tabs.open(`${plain.url}/`);
      await page.locator('body[data-identity-provider="none"]').waitFor({ state: 'attached' });
      expect(await page.getByRole('button', { name: 'Sign in with the local identity provider' }).isVisible()).toBe(false);
      expect(await page.getByRole('button', { name: 'Sign in', exact: true }).isVisible()).toBe(true);
    } finally {
      await plain.stop();
    }
  });
});

describe('the demo page renews the identity provider’s access token on its socket (headless Chromium, nginx, a gateway)', () => {
  let provider: OidcProvider;
  let cluster: Cluster;
  let nginx: Nginx;
  let browser: Browser;
  let tabs: Tabs;

  beforeAll(async () => {
    const port = await freePort();
    provider = await startProviderBehindEdge(port);
    // The provider's tokens live 300 s: warned 295 s before `exp`, the gateway asks for a new one 5 s after each.
    cluster = await startCluster({ gateways: 1, env: provider.oidcIssuersEnv(), gatewayEnv: { AUTH_EXPIRY_WARNING: '295' }, allowedOrigins: [edgeOrigin(port)] });
    nginx = await startNginx(cluster, { port, oidcProviderAddress: provider.address });
    browser = await launchChromium();
    tabs = new Tabs(browser);
  }, 90_000);

  afterEach(async () => expect(await tabs.closeAll()).toEqual([]), 60_000);

  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await cluster?.cleanup();
    await provider?.stop();
  }, 60_000);

  it('keeps the same socket through renewals, each a refresh grant at the provider answered with auth:refresh', async () => {
    const page = await tabs.open(`${nginx.url}/`);
    const sockets = countWebSockets(page);
    const refreshGrants = { count: 0 };
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === `${provider.issuer}/token` && request.postData()?.includes('grant_type=refresh_token')) refreshGrants.count++;
    });
    await signInAtProvider(page, provider, 'erin');

    await page.locator('#token-refreshes', { hasText: /^(?:[2-9]|\d{2,})$/ }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#connection').getAttribute('data-state')).toBe('connected');
    expect(sockets.opened).toBe(1);
    expect(refreshGrants.count).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
