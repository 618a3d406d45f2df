import { spawn, spawnSync } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxArgs, testNginxConfig, writeLocalNginxConfig, type TlsFiles } from '../../scripts/lib/nginx.mjs';
import { waitForHttpOk } from '../../scripts/lib/readiness.mjs';
import type { Cluster } from './cluster';
import { freePort } from './free-port';
import { startNginxContainer } from './nginx-container';
import { runtimeOfThisRun } from './test-runtime';

const ROOT = join(__dirname, '..', '..');

export class NginxNotFoundError extends Error {
  override readonly name = 'NginxNotFoundError';

  constructor() {
    super('nginx not found on PATH or in /usr/sbin. Install it (Debian/Ubuntu: `sudo apt-get install -y nginx`), or set NGINX_BIN to its path.');
  }
}

/** NGINX_BIN (set by `npm test`), else `nginx` on PATH, else /usr/sbin/nginx (Debian's place, often not on PATH). */
export function findNginx(): string {
  const candidates = process.env.NGINX_BIN ? [process.env.NGINX_BIN] : ['nginx', '/usr/sbin/nginx'];
  const found = candidates.find((candidate) => spawnSync(candidate, ['-v']).status === 0);
  if (!found) throw new NginxNotFoundError();
  return found;
}

/** The browser origin of pages served by an nginx on `port`: what a cluster must allow (`allowedOrigins`). */
export const edgeOrigin = (port: number): string => `http://127.0.0.1:${port}`;

export interface Nginx {
  /** `http://127.0.0.1:<port>` (https with `tls`), also the origin of the pages it serves. */
  url: string;
  port: number;
  /** With `tls`: the certificate, to trust it as a CA. */
  ca?: string;
  accessLog(): Promise<string>;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /**
   * Port to listen on. Pick it with `freePort()` before `startCluster` when pages served through nginx must be
   * an allowed origin. @default a port the OS hands out
   */
  port?: number;
  /** Serve https and wss with this certificate (e.g. `ensureDevCertificate`, as `npm start -- --tls`). */
  tls?: TlsFiles;
  /** Served at `/`. @default nginx/demo in this checkout */
  demoRoot?: string;
  /** Served at `/vendor/`. @default dist/client in this checkout (the client SDK bundle) */
  vendorRoot?: string;
  /** The local OpenID Provider's `host:port` (`OidcProvider.address`), served at /idp/. @default none: no /idp/ route */
  oidcProviderAddress?: string;
  /** Where the temporary prefix (config, pid, logs, temp files) is made. @default the OS temp directory */
  parentDir?: string;
}

/** What nginx proxies to: auth and the gateways. A `Cluster` is one. */
export type NginxUpstreams = Pick<Cluster, 'authUrl'> & { gateways: ReadonlyArray<{ url: string }> };

/** A running nginx master, a local process or a container: `events` emits `exit` when it ends. */
export interface NginxMaster {
  events: EventEmitter;
  /** Fast shutdown (SIGTERM), resolved once it has ended. */
  stop(): Promise<void>;
}

/**
 * nginx in front of `cluster` (its auth app and every gateway it started), from nginx/nginx.conf.template
 * rendered by the launcher's own code, so the tests exercise the routing, headers and load balancing that
 * `npm start` and compose use. Pid, logs and temp files live in a temporary prefix; nothing in /etc or /var.
 * It runs where this run's runtime says: a local process, or a container (nginx-container.ts) on the same config.
 */
export async function startNginx(cluster: NginxUpstreams, options: NginxOptions = {}): Promise<Nginx> {
  const runtime = runtimeOfThisRun();
  const binary = runtime === 'local' ? findNginx() : undefined;
  const port = options.port ?? (await freePort());
  const prefix = await mkdtemp(join(options.parentDir ?? tmpdir(), 'sessionwire-nginx-'));
  const url = options.tls ? `https://127.0.0.1:${port}` : edgeOrigin(port);
  const ca = options.tls ? await readFile(options.tls.cert, 'utf8') : undefined;
  const demoRoot = options.demoRoot ?? join(ROOT, 'nginx/demo');
  const vendorRoot = options.vendorRoot ?? join(ROOT, 'dist/client');
  const remove = () => rm(prefix, { recursive: true, force: true });
  let master: NginxMaster;
  try {
    await writeLocalNginxConfig({
      templateFile: join(ROOT, 'nginx/nginx.conf.template'),
      prefix,
      listen: `127.0.0.1:${port}`,
      authAddress: new URL(cluster.authUrl).host,
      gatewayAddresses: cluster.gateways.map((gateway) => new URL(gateway.url).host),
      demoRoot,
      vendorRoot,
      tls: options.tls,
      oidcProviderAddress: options.oidcProviderAddress,
    });
    if (binary) {
      testNginxConfig(binary, prefix);
      master = startLocalNginx(binary, prefix);
    } else {
      // No `nginx -t` (no local nginx needed): a bad config shows as nginx's exit, with its error log, below.
      master = await startNginxContainer(prefix, [demoRoot, vendorRoot, ...(options.tls ? [options.tls.cert, options.tls.key] : [])]);
    }
  } catch (error) {
    await remove();
    throw error;
  }

  const stop = async (): Promise<void> => {
    await master.stop();
    await remove();
  };
  try {
    await waitForHttpOk({ name: 'nginx', child: master.events, url: `${url}/health`, logFile: join(prefix, 'logs/error.log'), timeoutMs: 20_000, ca });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, ca, accessLog: () => readFile(join(prefix, 'logs/access.log'), 'utf8'), stop };
}

function startLocalNginx(binary: string, prefix: string): NginxMaster {
  const child = spawn(binary, [...nginxArgs(prefix), '-g', 'daemon off;'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    events: child,
    stop: async () => {
      // SIGTERM to the master: a fast shutdown that also ends its workers.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
