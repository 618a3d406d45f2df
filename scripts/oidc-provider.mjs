#!/usr/bin/env node
/* global fetch, URLSearchParams */
// A local OpenID Provider (the certified `oidc-provider` package) for development and tests, never for production:
// any username signs in (its development login and consent forms), and it may send back-channel logout tokens to
// loopback addresses. `npm start -- --oidc` and test/support/oidc-provider.ts run it; `--help` lists the options.
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';
// Its in-memory adapter (development only), made once: every Provider instance of this process keeps its state there.
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';
import {
  ensureSecret,
  ensureSigningKeys,
  LOCAL_ACCESS_TOKEN_TTL_SECONDS,
  LOCAL_AUDIENCE,
  LOCAL_CLIENT_ID,
  LOCAL_PROVIDER_NAME,
  LOCAL_ROLES_CLAIM,
  providerFiles,
  providerJwks,
  readSigningKeys,
  retireSigningKeys,
  rotateSigningKeys,
} from './lib/local-provider.mjs';
import { signalRecordedService } from './lib/processes.mjs';

const USAGE = `Usage:
  node scripts/oidc-provider.mjs serve --port N --state-dir DIR --backchannel-logout-uri URL [options]
  npm run oidc:keys -- rotate|retire [--data-dir DIR | --state-dir DIR]

serve: runs the provider on 127.0.0.1:N until SIGTERM, its keys and secrets in DIR (generated on first start);
  SIGHUP reloads the signing keys.
  --issuer URL                    its issuer (default http://127.0.0.1:N). A path in it is where it serves: with
                                  http://127.0.0.1:8080/idp it answers under /idp/ only, for a proxy that passes
                                  /idp/ on as it is with X-Forwarded-Host and X-Forwarded-Proto (nginx, --oidc)
  --backchannel-logout-uri URL    where it POSTs logout tokens (the auth service's /oidc/backchannel-logout)
  --redirect-uri URL              a redirect URI of the client ${LOCAL_CLIENT_ID} (repeatable)
  --post-logout-redirect-uri URL  a post-logout redirect URI of the client (repeatable)
  --access-token-alg RS256|ES256  how access tokens for ${LOCAL_AUDIENCE} are signed (default RS256)
  --admin-user NAME               a username whose tokens carry the role admin besides user (repeatable; default admin)
rotate: a new RSA and P-256 key sign from now on; the keys before stay in the JWKS until retire.
retire: the keys before a rotation leave the JWKS (once the tokens they signed expired: ${LOCAL_ACCESS_TOKEN_TTL_SECONDS} s).
  Of the provider of \`npm start -- --oidc\` with data in DIR (default .data), which gets SIGHUP; or of the provider
  whose --state-dir is DIR, after which send it SIGHUP yourself.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    'state-dir': { type: 'string' },
    'data-dir': { type: 'string' },
    issuer: { type: 'string' },
    'backchannel-logout-uri': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
    'access-token-alg': { type: 'string', default: 'RS256' },
    'admin-user': { type: 'string', multiple: true, default: ['admin'] },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

class UsageError extends Error {
  name = 'UsageError';
}

function required(name) {
  const value = values[name];
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** The validated options of `serve`. */
function serveOptions() {
  const port = Number(required('port'));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be 1..65535 (got "${values.port}")`);
  if (!['RS256', 'ES256'].includes(values['access-token-alg'])) throw new UsageError(`--access-token-alg must be RS256 or ES256 (got "${values['access-token-alg']}")`);
  const urls = [values.issuer, values['backchannel-logout-uri'], ...values['redirect-uri'], ...values['post-logout-redirect-uri']];
  for (const url of urls.filter((value) => value !== undefined)) {
    if (!URL.canParse(url)) throw new UsageError(`not a URL: "${url}"`);
  }
  const issuer = (values.issuer ?? `http://127.0.0.1:${port}`).replace(/\/$/, '');
  return {
    port,
    stateDir: resolve(required('state-dir')),
    issuer,
    mountPath: new URL(issuer).pathname.replace(/\/$/, ''),
    backchannelLogoutUri: required('backchannel-logout-uri'),
    redirectUris: values['redirect-uri'],
    postLogoutRedirectUris: values['post-logout-redirect-uri'],
    accessTokenAlg: values['access-token-alg'],
    adminUsers: new Set(values['admin-user']),
  };
}

/**
 * The provider's configuration: one public client with PKCE whose sessions end through back-channel logout (session
 * required, so its tokens carry `sid`), JWT access tokens for the gateways' audience carrying that `sid` and the roles.
 */
function configuration(options, keys, cookieKey, adapter) {
  const rolesOf = (accountId) => (options.adminUsers.has(accountId) ? ['user', 'admin'] : ['user']);
  return {
    adapter,
    jwks: providerJwks(keys),
    // Its session cookie stays on its own path: behind nginx it shares the demo page's origin with the auth service.
    cookies: { keys: [cookieKey], long: { path: `${options.mountPath}/` } },
    clients: [
      {
        client_id: LOCAL_CLIENT_ID,
        client_name: 'sessionwire demo',
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
        backchannel_logout_uri: options.backchannelLogoutUri,
        backchannel_logout_session_required: true,
      },
    ],
    // Any username is an account, with its own name as `sub`.
    findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId, [LOCAL_ROLES_CLAIM]: rolesOf(accountId) }) }),
    claims: { openid: ['sub'], [LOCAL_ROLES_CLAIM]: [LOCAL_ROLES_CLAIM] },
    scopes: ['openid', 'offline_access', LOCAL_ROLES_CLAIM],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => LOCAL_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== LOCAL_AUDIENCE) throw new errors.InvalidTarget(`unknown resource; this provider serves ${LOCAL_AUDIENCE}`);
          return {
            scope: LOCAL_ROLES_CLAIM,
            audience: LOCAL_AUDIENCE,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: options.accessTokenAlg } },
          };
        },
      },
    },
    // In the access tokens the gateways verify: the per-client `sid` the logout token will name, the roles, and when
    // the session started (`auth_time`, from the code or refresh token): a refreshed token's `iat` is later, and a
    // logout of every session of a user ends the sessions that started before it.
    extraTokenClaims: (ctx, token) => {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
      return { sid: token.sid, auth_time: source?.authTime, [LOCAL_ROLES_CLAIM]: rolesOf(token.accountId) };
    },
    // Development only: oidc-provider refuses to send requests to loopback and private addresses (SSRF protection),
    // and the auth service that receives the logout tokens listens on 127.0.0.1 here. Its dispatcher is dropped.
    fetch: (url, { dispatcher: _ssrfGuard, ...init }) => fetch(url, init),
    ttl: {
      AccessToken: LOCAL_ACCESS_TOKEN_TTL_SECONDS,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      Interaction: 3600,
    },
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

/**
 * The dev-only route `POST /dev/logout-user` (`sub=<username>`, `Authorization: Bearer <DIR/dev-admin-token>`), on the
 * provider's own port only, never under its issuer's path (which nginx passes on): the provider's own back-channel
 * logout with no `sid`, i.e. a logout token naming only `sub`, as a provider sends to end every session of a user. It
 * does not end the provider's sessions themselves (it has no index of them).
 */
async function logoutUser(provider, request, response, adminToken) {
  if (request.method !== 'POST') return answer(response, 405, { error: 'method_not_allowed' });
  if (request.headers.authorization !== `Bearer ${adminToken}`) return answer(response, 401, { error: 'invalid_token' });
  const body = new URLSearchParams(await readBody(request));
  const sub = body.get('sub');
  if (!sub) return answer(response, 400, { error: 'invalid_request', error_description: 'sub is required' });
  const client = await provider.Client.find(LOCAL_CLIENT_ID);
  try {
    await client.backchannelLogout(sub, undefined);
  } catch (error) {
    return answer(response, 502, { error: 'backchannel_logout_failed', error_description: error.message });
  }
  answer(response, 200, { sub, sent_to: client.backchannelLogoutUri });
}

async function readBody(request) {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 4096) throw new Error('body too large');
  }
  return body;
}

function answer(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

async function serve() {
  const options = serveOptions();
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const files = providerFiles(options.stateDir);
  const cookieKey = await ensureSecret(files.cookieKey);
  const adminToken = await ensureSecret(files.devAdminToken);
  // Sessions, grants and codes outlive a reload of the keys (a new Provider instance): they live in one store.
  const adapter = createMemoryAdapter();
  const build = (keys) => {
    const provider = new Provider(options.issuer, configuration(options, keys, cookieKey, adapter));
    // Behind nginx its URLs are the public ones: the host the browser asked for (X-Forwarded-Host, port included) and
    // https under --tls (X-Forwarded-Proto). It listens on 127.0.0.1 only.
    provider.proxy = true;
    provider.on('backchannel.error', (_ctx, error, client, accountId, sid) =>
      log(`back-channel logout of ${accountId} (sid ${sid}) to ${client.backchannelLogoutUri} failed: ${error.message}`),
    );
    // Why a grant or an interaction failed (its answer only says invalid_grant), for whoever reads the log.
    for (const event of ['grant.error', 'server_error']) provider.on(event, (_ctx, error) => log(`${event}: ${error.message}${error.error_detail ? ` (${error.error_detail})` : ''}`));
    provider.on('backchannel.success', (_ctx, client, accountId, sid) => log(`back-channel logout of ${accountId} (sid ${sid}) sent to ${client.backchannelLogoutUri}`));
    return provider;
  };
  const kidsOf = (keys) => `signing with ${keys.current.map((key) => `${key.alg} ${key.kid}`).join(', ')}; also published: ${keys.previous.length}`;

  let keys = await ensureSigningKeys(options.stateDir);
  let provider = build(keys);
  let callback = provider.callback();
  const server = createServer((request, response) => {
    if (request.url === '/dev/logout-user') {
      logoutUser(provider, request, response, adminToken).catch((error) => answer(response, 400, { error: 'invalid_request', error_description: error.message }));
      return;
    }
    if (options.mountPath) {
      if (!request.url.startsWith(`${options.mountPath}/`)) return answer(response, 404, { error: 'not_found', error_description: `this provider serves under ${options.mountPath}/` });
      // Mounted as oidc-provider's docs mount it under a prefix: it finds the prefix from `originalUrl` and puts it
      // in every URL it makes (endpoints, redirects, forms, cookie paths).
      request.originalUrl = request.url;
      request.url = request.url.slice(options.mountPath.length);
    }
    callback(request, response);
  });
  let reloads = 0;
  process.on('SIGHUP', () => {
    readSigningKeys(options.stateDir).then(
      (reloaded) => {
        keys = reloaded;
        provider = build(keys);
        callback = provider.callback();
        log(`signing keys reloaded (${++reloads}): ${kidsOf(keys)}`);
      },
      (error) => log(`signing keys NOT reloaded, keeping those in use: ${error.message}`),
    );
  });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    });
  }
  server.listen(options.port, '127.0.0.1', () => {
    log(`${kidsOf(keys)}`);
    log(`OpenID Provider ${options.issuer} listening on http://127.0.0.1:${options.port}`);
  });
}

async function keyStep(step) {
  if (values['state-dir'] !== undefined && values['data-dir'] !== undefined) throw new UsageError('give --data-dir or --state-dir, not both');
  const launcherDataDir = values['state-dir'] === undefined ? resolve(values['data-dir'] ?? '.data') : undefined;
  const stateDir = launcherDataDir ? launcherPaths(launcherDataDir).stateDir : resolve(values['state-dir']);
  if (step === 'rotate') log(`now signing with ${(await rotateSigningKeys(stateDir)).join(', ')}; the keys before stay published until retire`);
  else log(`retired ${(await retireSigningKeys(stateDir)).join(', ') || 'nothing (no previous keys)'}`);
  const signalled = launcherDataDir !== undefined && (await signalRecordedService(launcherPaths(launcherDataDir).pids, LOCAL_PROVIDER_NAME, 'SIGHUP'));
  log(signalled ? 'sent SIGHUP to the running provider: it uses these keys now' : `now send SIGHUP to the provider whose state is in ${stateDir}`);
}

/** Where `npm start` keeps the provider's state and its pid file (scripts/cluster.mjs). */
function launcherPaths(dataDir) {
  return { stateDir: join(dataDir, 'oidc-provider'), pids: join(dataDir, 'cluster.pids') };
}

function log(message) {
  process.stdout.write(`${message}\n`);
}

async function main() {
  const command = positionals[0] ?? 'serve';
  if (values.help || positionals.length > 1 || !['serve', 'rotate', 'retire'].includes(command)) {
    log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  if (command === 'serve') await serve();
  else await keyStep(command);
}

main().catch((error) => {
  process.stderr.write(`oidc-provider: ${error.message}\n${error instanceof UsageError ? `\n${USAGE}\n` : ''}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
