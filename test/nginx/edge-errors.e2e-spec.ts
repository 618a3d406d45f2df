import type { ErrorCode } from '@app/contracts';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expectError } from '../support/assertions';
import { startCluster, type Cluster } from '../support/cluster';
import { rawRequest, request, type JsonResponse } from '../support/http';
import { startNginx, type Nginx } from '../support/nginx';

/** What nginx serves at `/`. */
const DEMO_ROOT = join(__dirname, '..', '..', 'nginx', 'demo');

/** nginx's default proxy_read_timeout, which the auth locations keep: a stalled auth answers 504 after it. */
const AUTH_READ_TIMEOUT_MS = 60_000;

/** An error nginx made itself: the apps' error shape, JSON that is neither sniffed nor cached. */
function expectEdgeError(response: JsonResponse, status: number, code: ErrorCode): void {
  expectError(response, status, code);
  expect({ nosniff: response.headers.get('x-content-type-options'), cache: response.headers.get('cache-control') }).toEqual({
    nosniff: 'nosniff',
    cache: 'no-store',
  });
}

describe('errors nginx makes itself have the apps’ JSON error shape; the apps’ own errors pass through', () => {
  let cluster: Cluster;
  let nginx: Nginx;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 1 });
    nginx = await startNginx(cluster, { demoRoot: DEMO_ROOT });
  }, 90_000);

  afterAll(async () => {
    await nginx?.stop();
    await cluster?.cleanup();
  }, 60_000);

  it('404 for a path nothing serves, whatever its extension, at the root and under /vendor/', async () => {
    for (const path of ['/no-such-page', '/no-such-script.js', '/vendor/no-such-bundle.js']) {
      const response = await request(nginx.url, 'GET', path);
      expectEdgeError(response, 404, 'NOT_FOUND');
      expect(response.headers.get('retry-after')).toBeNull();
    }
  });

  it('413 for a body over nginx’s 1 MB limit; 403 for a directory; 405 for a POST to a static file', async () => {
    expectEdgeError(await request(nginx.url, 'POST', '/auth/login', { rawBody: JSON.stringify({ username: 'x'.repeat(2_000_000) }) }), 413, 'PAYLOAD_TOO_LARGE');
    expectEdgeError(await request(nginx.url, 'GET', '/vendor/'), 403, 'FORBIDDEN');
    expectEdgeError(await request(nginx.url, 'POST', '/index.html', { json: {} }), 405, 'INVALID_INPUT');
  });

  it('400 for request headers over nginx’s buffers, 414 for an over-long URI', async () => {
    expectEdgeError(await request(nginx.url, 'GET', '/', { headers: { 'x-padding': 'x'.repeat(10_000) } }), 400, 'INVALID_INPUT');
    expectEdgeError(await request(nginx.url, 'GET', `/${'x'.repeat(10_000)}`), 414, 'INVALID_INPUT');
  });

  it('412 for an If-Match a static file fails, 416 for a Range beyond its end', async () => {
    expectEdgeError(await request(nginx.url, 'GET', '/index.html', { headers: { 'if-match': '"no-such-version"' } }), 412, 'INVALID_INPUT');

    const outOfRange = await request(nginx.url, 'GET', '/index.html', { headers: { range: 'bytes=100000000-' } });
    expectError(outOfRange, 416, 'INVALID_INPUT');
    // nginx refuses a range after the file's own headers were added, and error_page keeps them: the demo's
    // no-cache stays next to the error's no-store (which wins), and Content-Range tells the file's real size.
    expect(outOfRange.headers.get('cache-control')).toBe('no-cache, no-store');
    expect(outOfRange.headers.get('content-range')).toBe(`bytes */${(await stat(join(DEMO_ROOT, 'index.html'))).size}`);
  });

  it('501 for a Transfer-Encoding nginx does not implement, 505 for an HTTP version it does not speak', async () => {
    const host = `Host: 127.0.0.1:${nginx.port}`;
    expectEdgeError(await rawRequest(nginx.url, ['POST /auth/login HTTP/1.1', host, 'Transfer-Encoding: gzip']), 501, 'INVALID_INPUT');
    expectEdgeError(await rawRequest(nginx.url, ['GET / HTTP/2.0', host]), 505, 'INVALID_INPUT');
  });

  it('the apps’ own error answers reach the client unchanged, JSON or not', async () => {
    const paths = [
      ['GET', '/auth/no-such-endpoint'],
      ['GET', '/auth/me'],
      ['GET', '/socket.io/?EIO=4&transport=carrier-pigeon'],
    ] as const;
    for (const [method, path] of paths) {
      const direct = await request(path.startsWith('/socket.io/') ? cluster.gateways[0].url : cluster.authUrl, method, path);
      const proxied = await request(nginx.url, method, path);
      expect({ status: proxied.status, body: proxied.body }).toEqual({ status: direct.status, body: direct.body });
      expect(proxied.status).toBeGreaterThanOrEqual(400);
    }
    // Over auth's own 16 KB limit but under nginx's: auth's 413, with auth's message.
    const oversized = await request(nginx.url, 'POST', '/auth/login', { json: { username: 'x'.repeat(20_000), password: 'whatever1' } });
    expect(expectError(oversized, 413, 'PAYLOAD_TOO_LARGE').message).toBe('Request body too large');
  });

  it('504 with Retry-After when auth accepts the connection but never answers (frozen process)', async () => {
    cluster.auth.signal('SIGSTOP');
    try {
      // nginx gives up after its read timeout: a minute of waiting for an answer that never comes.
      const response = await request(nginx.url, 'GET', '/auth/me');
      expectEdgeError(response, 504, 'UNAVAILABLE');
      expect(response.headers.get('retry-after')).toBe('1');
    } finally {
      cluster.auth.signal('SIGCONT');
    }
  }, AUTH_READ_TIMEOUT_MS + 30_000);

  // Last: it stops the only gateway.
  it('502 with Retry-After when no gateway is reachable (the only one stopped, as during a restart)', async () => {
    await cluster.gateways[0].process.stop('SIGTERM');

    for (const transport of ['polling', 'websocket']) {
      const response = await request(nginx.url, 'GET', `/socket.io/?EIO=4&transport=${transport}`);
      expectEdgeError(response, 502, 'UNAVAILABLE');
      expect(response.headers.get('retry-after')).toBe('1');
    }
  });
});
