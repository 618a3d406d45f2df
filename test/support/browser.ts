import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { socketIoClientDist } from '../../scripts/lib/nginx.mjs';

export class ChromiumNotFoundError extends Error {
  override readonly name = 'ChromiumNotFoundError';

  constructor(path: string) {
    super(
      `Chromium not found at ${path}. Install Debian's package (\`sudo apt-get install -y chromium\`; \`npm test\` does it ` +
        'when run as root), or set CHROMIUM_BIN to a Chromium binary. Playwright never downloads a browser here.',
    );
  }
}

/**
 * Flags for Debian's Chromium on these machines: headless as root (hence no sandbox), no GPU, and no traffic
 * to Google's services (background networking, component updates, sync, QUIC), which a closed network refuses.
 * Every launch also gets a new, empty profile: playwright-core passes its own temporary --user-data-dir.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Real headless Chromium (CHROMIUM_BIN, default Debian's /usr/bin/chromium) driven by playwright-core. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new ChromiumNotFoundError(executablePath);
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export interface StaticSite {
  /** `http://127.0.0.1:<port>`: another origin than nginx's, but the same site (cookies are not per port). */
  origin: string;
  close(): Promise<void>;
}

/**
 * A plain HTTP server on its own port serving `pages` (path → HTML) and the socket.io browser client at
 * /socket.io.esm.min.js: a foreign origin for cross-site WebSocket hijacking tests.
 */
export async function startStaticSite(pages: Record<string, string>): Promise<StaticSite> {
  const client = await readFile(join(socketIoClientDist(), 'socket.io.esm.min.js'));
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/socket.io.esm.min.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(client);
    } else if (pages[path] !== undefined) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(pages[path]);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
