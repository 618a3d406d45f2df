import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { CLIENT_BUNDLE_DIR } from './build.mjs';
import { LOCAL_PROVIDER_PATH } from './local-provider.mjs';

/**
 * The installed socket.io-client's `dist/` folder (browser bundles, `socket.io.esm.min.js` among them), for
 * test pages that need the raw client.
 */
export function socketIoClientDist() {
  return join(dirname(createRequire(import.meta.url).resolve('socket.io-client/package.json')), 'dist');
}

/**
 * Substitutes `${NAME}` placeholders the way the nginx image's envsubst step does for docker-compose.yml, so
 * both deployments render the same template. nginx's own variables are written `$lower_case` without braces
 * and are left alone. A placeholder without a value is an error here (envsubst would leave it as is).
 */
export function renderTemplate(template, values) {
  const missing = new Set();
  const rendered = template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (placeholder, name) => {
    if (values[name] === undefined) missing.add(name);
    return values[name] ?? placeholder;
  });
  if (missing.size > 0) throw new Error(`nginx template: no value for ${[...missing].join(', ')}`);
  return rendered;
}

/**
 * `server host:port;` lines for an upstream block; a group with no server yet answers 502 instead of failing to load.
 * `parameters` are appended to each line (`GATEWAY_SERVER_PARAMETERS` for the gateways).
 */
export function upstreamServers(addresses, parameters = '') {
  if (addresses.length === 0) return 'server 127.0.0.1:9 down;  # no replica running';
  return addresses.map((address) => `server ${[address, parameters].filter(Boolean).join(' ')};`).join('\n    ');
}

/**
 * nginx never takes a gateway out of the balancing (`max_fails=0`): a handshake refused by one (restarting, draining)
 * is tried on the next at once (proxy_next_upstream). With the default (one failure takes a server out for 10 s),
 * gateways failing one after another, each back within seconds, left nginx with none to try: "no live upstreams",
 * a 502 to every handshake while all of them served again (found by the soak). compose renders the same parameter.
 */
export const GATEWAY_SERVER_PARAMETERS = 'max_fails=0';

/**
 * The server block's TLS lines: with `tls` ({cert, key} PEM files) https and wss on the same port (nginx then
 * sends X-Forwarded-Proto https), without it a comment.
 */
export function tlsDirectives(tls) {
  if (!tls) return '# plain HTTP (npm start -- --tls serves https and wss with a self-signed certificate)';
  return [
    `ssl_certificate ${tls.cert};`,
    `ssl_certificate_key ${tls.key};`,
    'ssl_protocols TLSv1.2 TLSv1.3;',
    'ssl_session_cache shared:tls:1m;',
  ].join('\n        ');
}

/**
 * The `user` line. An nginx master started as root runs its workers as that user, `nobody` by default, who
 * cannot read a checkout in a private directory (root's home, `mktemp -d`) nor enter a private prefix. So as
 * root the workers stay root, as they stay the launching user when anyone else starts nginx (which then
 * ignores `user`, with a warning, hence only a comment there). They get no more than the apps the launcher
 * started as root already have.
 */
function workerUserDirective() {
  if (process.geteuid?.() !== 0) return '# workers run as the user who started nginx';
  return `user ${userInfo().username} ${execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim()};`;
}

/**
 * The `location` of the local OpenID Provider at `address` (`host:port`), under LOCAL_PROVIDER_PATH and passed on with
 * its path (the provider serves under its issuer's path); without an address a comment, and no route.
 */
export function oidcProviderLocation(address) {
  if (!address) return '# no local OpenID Provider here';
  return [
    `location ${LOCAL_PROVIDER_PATH}/ {`,
    `    proxy_pass http://${address};`,
    // Its sign-in, consent and logout pages are forms: never framed (a click on "Continue" or "Yes, sign me out").
    `    add_header Content-Security-Policy "frame-ancestors 'none'" always;`,
    '    add_header X-Content-Type-Options nosniff always;',
    '}',
  ].join('\n        ');
}

/**
 * Renders nginx/nginx.conf.template into `prefix`/nginx.conf for a local, unprivileged-paths nginx: pid, logs
 * and temp files under `prefix`, nothing read or written in /etc/nginx or /var. `tls`: see `tlsDirectives`.
 * `/vendor/` serves `vendorRoot`: by default the client SDK's browser bundle (`npm run build:client`).
 * `oidcProviderAddress`: the local OpenID Provider's `host:port`, served at /idp/ (`oidcProviderLocation`).
 */
export async function writeLocalNginxConfig({ templateFile, prefix, listen, authAddress, gatewayAddresses, demoRoot, vendorRoot = CLIENT_BUNDLE_DIR, tls, oidcProviderAddress }) {
  for (const dir of ['logs', 'temp']) await mkdir(join(prefix, dir), { recursive: true });
  const config = renderTemplate(await readFile(templateFile, 'utf8'), {
    NGINX_USER: workerUserDirective(),
    NGINX_LISTEN: tls ? `${listen} ssl` : listen,
    NGINX_TLS: tlsDirectives(tls),
    NGINX_PID: join(prefix, 'logs/nginx.pid'),
    NGINX_ERROR_LOG: join(prefix, 'logs/error.log'),
    NGINX_ACCESS_LOG: join(prefix, 'logs/access.log'),
    NGINX_TEMP_DIR: join(prefix, 'temp'),
    NGINX_RESOLVER: '# no resolver: every upstream server below is an IP address',
    AUTH_SERVERS: upstreamServers([authAddress]),
    GATEWAY_SERVERS: upstreamServers(gatewayAddresses, GATEWAY_SERVER_PARAMETERS),
    DEMO_ROOT: demoRoot,
    VENDOR_ROOT: vendorRoot,
    OIDC_PROVIDER_LOCATION: oidcProviderLocation(oidcProviderAddress),
  });
  const file = join(prefix, 'nginx.conf');
  await writeFile(file, config);
  return file;
}

/** Arguments that keep nginx inside `prefix` (`-e` so even the startup error log avoids /var/log/nginx). */
export function nginxArgs(prefix) {
  return ['-p', `${prefix}/`, '-c', 'nginx.conf', '-e', join(prefix, 'logs/error.log')];
}

/** `nginx -t` on the rendered file; throws with nginx's own explanation when the config is invalid. */
export function testNginxConfig(nginx, prefix) {
  const result = spawnSync(nginx, [...nginxArgs(prefix), '-t', '-q'], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`nginx rejected ${join(prefix, 'nginx.conf')}:\n${(result.stderr || result.stdout).trim()}`);
  }
}
