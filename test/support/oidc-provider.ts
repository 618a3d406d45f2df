import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, SignJWT, type JWTPayload } from 'jose';
import {
  LOCAL_AUDIENCE,
  LOCAL_CLIENT_ID,
  localIssuerEntry,
  providerFiles,
  readSigningKeys,
  retireSigningKeys,
  rotateSigningKeys,
  type LocalIssuerEntry,
  type ProviderJwk,
  type SigningKeys,
} from '../../scripts/lib/local-provider.mjs';
import { AppProcess } from './app-process';
import { freePort } from './free-port';
import { parseSetCookie } from './http';

const PROVIDER_SCRIPT = join(__dirname, '..', '..', 'scripts/oidc-provider.mjs');

/** The client's redirect URI in tests: registered at the provider, never requested (the driver reads the code off it). */
export const TEST_REDIRECT_URI = 'http://localhost/sessionwire-test/callback';

/** The back-channel logout event member of a logout token's `events` claim. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export interface OidcProviderOptions {
  /**
   * Where the provider POSTs logout tokens: the auth service's `/oidc/backchannel-logout` (through nginx:
   * `${edgeOrigin(nginxPort)}/oidc/backchannel-logout`, with the nginx port picked by `freePort()` first), or a receiver
   * of the test.
   */
  backchannelLogoutUri: string;
  /** How access tokens are signed. @default 'RS256' */
  accessTokenAlg?: 'RS256' | 'ES256';
  /** Usernames whose tokens carry the roles `user` and `admin` (the others: `user`). @default ['admin'] */
  adminUsers?: string[];
  /**
   * Its issuer when nginx serves it at LOCAL_PROVIDER_PATH, as `npm start -- --oidc` does:
   * `${edgeOrigin(nginxPort)}${LOCAL_PROVIDER_PATH}` (then give `startNginx` its `address`). @default its own address
   */
  issuer?: string;
  /** More redirect and post-logout redirect URIs of its client, e.g. the demo page through nginx. @default none */
  redirectUris?: string[];
}

/** What the token endpoint answers for the authorization code (or refresh) grant. */
export interface ProviderTokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  expiresIn: number;
}

/**
 * The local OpenID Provider (scripts/oidc-provider.mjs) as its own process on a free port, with its key files in a
 * temporary data directory. `signIn` drives its authorization code flow with PKCE over HTTP, as a browser would.
 *
 * With the cluster harness: the provider first (the apps read `OIDC_ISSUERS` at boot), its logout tokens sent through
 * an nginx whose port is picked beforehand:
 * ```ts
 * const nginxPort = await freePort();
 * const provider = await OidcProvider.start({ backchannelLogoutUri: `${edgeOrigin(nginxPort)}/oidc/backchannel-logout` });
 * const cluster = await startCluster({ env: provider.oidcIssuersEnv(), allowedOrigins: [edgeOrigin(nginxPort)] });
 * const nginx = await startNginx(cluster, { port: nginxPort });
 * ```
 */
export class OidcProvider {
  /** SIGHUPs sent so far: the provider numbers its reloads. */
  private reloads = 0;

  private constructor(
    readonly process: AppProcess,
    readonly issuer: string,
    /** `127.0.0.1:<port>`: where it listens (what nginx proxies to). */
    readonly address: string,
    readonly stateDir: string,
    private readonly adminToken: string,
  ) {}

  static async start(options: OidcProviderOptions): Promise<OidcProvider> {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const issuer = options.issuer ?? `http://${address}`;
    const stateDir = await mkdtemp(join(tmpdir(), 'sessionwire-oidc-provider-'));
    const args = [
      'serve',
      '--port', String(port),
      '--state-dir', stateDir,
      '--issuer', issuer,
      '--backchannel-logout-uri', options.backchannelLogoutUri,
      '--redirect-uri', TEST_REDIRECT_URI,
      ...(options.redirectUris ?? []).flatMap((uri) => ['--redirect-uri', uri, '--post-logout-redirect-uri', uri]),
      '--access-token-alg', options.accessTokenAlg ?? 'RS256',
      ...(options.adminUsers ?? ['admin']).flatMap((name) => ['--admin-user', name]),
    ];
    let child: AppProcess | undefined;
    try {
      child = await AppProcess.launch('oidc-provider', PROVIDER_SCRIPT, {}, { args });
      const provider = new OidcProvider(child, issuer, address, stateDir, (await readFile(providerFiles(stateDir).devAdminToken, 'utf8')).trim());
      // Ready once its discovery document, on its own port, names it: what every gateway reads at boot.
      const { issuer: named } = (await (await fetch(`${provider.ownUrl}/.well-known/openid-configuration`)).json()) as { issuer?: string };
      if (named !== issuer) throw new Error(`the provider's discovery document names ${named}, not ${issuer}`);
      return provider;
    } catch (error) {
      await child?.stop('SIGKILL');
      await rm(stateDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Its issuer's URL on its own port (the issuer itself unless nginx serves it): its endpoints without nginx. */
  get ownUrl(): string {
    return `http://${this.address}${new URL(this.issuer).pathname.replace(/\/$/, '')}`;
  }

  /**
   * This provider's OIDC_ISSUERS entry (libs/oidc `trustedIssuerSchema`), with `overrides` on top. Behind nginx, the apps
   * read its keys on its own port, as `npm start -- --oidc` has them do (they start before nginx).
   */
  issuerEntry(overrides: Partial<LocalIssuerEntry> = {}): LocalIssuerEntry {
    return { ...localIssuerEntry(this.issuer, this.ownUrl === this.issuer ? undefined : `${this.ownUrl}/jwks`), ...overrides };
  }

  /** The apps' env that trusts this provider: `{OIDC_ISSUERS: '[<issuerEntry(overrides)>]'}`. */
  oidcIssuersEnv(overrides: Partial<LocalIssuerEntry> = {}): { OIDC_ISSUERS: string } {
    return { OIDC_ISSUERS: JSON.stringify([this.issuerEntry(overrides)]) };
  }

  /**
   * A new provider session for `username` (its own cookie jar, so two sign-ins are two sessions with two `sid`s):
   * the authorization code flow with PKCE through the development login and consent forms, then the code exchanged
   * for tokens for the gateways' audience.
   */
  signIn(username: string): Promise<ProviderSession> {
    return signInAt(this.issuer, username);
  }

  /**
   * The provider's own back-channel logout naming only `sub` (no `sid`): what a provider sends to end every session of
   * a user. Resolves once the receiver answered it 200.
   */
  async logoutUser(sub: string): Promise<void> {
    const response = await fetch(`http://${this.address}/dev/logout-user`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ sub }),
    });
    if (response.status !== 200) throw new Error(`logout of every session of ${sub}: ${response.status} ${await response.text()}`);
  }

  /** The private signing keys (the key file), e.g. to sign logout tokens as the provider would, or to forge them. */
  signingKeys(): Promise<SigningKeys> {
    return readSigningKeys(this.stateDir);
  }

  /**
   * Signs `claims` as a logout token of this provider (`typ: logout+jwt`, `iss`, `aud` = the client id, `iat`, `jti`,
   * the back-channel logout event), with its current key of `alg` unless `key` says otherwise. `claims` override the
   * defaults (e.g. `events: undefined` drops them).
   */
  async signLogoutToken(claims: JWTPayload, { alg = 'RS256', key }: { alg?: 'RS256' | 'ES256'; key?: ProviderJwk } = {}): Promise<string> {
    const signingKey = key ?? (await this.signingKeys()).current.find((candidate) => candidate.alg === alg);
    if (!signingKey) throw new Error(`no current ${alg} key`);
    const payload: JWTPayload = {
      iss: this.issuer,
      aud: LOCAL_CLIENT_ID,
      iat: Math.floor(Date.now() / 1000),
      jti: randomBytes(16).toString('base64url'),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: signingKey.alg, kid: signingKey.kid, typ: 'logout+jwt' })
      .sign(await importJWK(signingKey, signingKey.alg));
  }

  /**
   * A new key pair signs from now on, the keys before stay published (as `npm run oidc:keys -- rotate` does). Resolves with
   * the new kids once the provider serves them.
   */
  async rotateKeys(): Promise<string[]> {
    const kids = await rotateSigningKeys(this.stateDir);
    await this.reloadKeys(kids);
    return kids;
  }

  /** The keys before the last rotation leave the JWKS. Resolves with their kids once the provider stopped serving them. */
  async retireKeys(): Promise<string[]> {
    const retired = await retireSigningKeys(this.stateDir);
    const { current } = await this.signingKeys();
    await this.reloadKeys(current.map((key) => key.kid));
    return retired;
  }

  /** SIGHUP, then waits for the provider's log line of this reload, which must name exactly these signing kids. */
  private async reloadKeys(signingKids: string[]): Promise<void> {
    this.process.signal('SIGHUP');
    const line = await this.process.waitForLog(new RegExp(`signing keys reloaded \\(${++this.reloads}\\)`), 10_000);
    for (const kid of signingKids) if (!line.includes(kid)) throw new Error(`the provider reloaded other keys than ${signingKids.join(', ')}: ${line}`);
  }

  async stop(): Promise<void> {
    await this.process.stop('SIGKILL');
    await rm(this.stateDir, { recursive: true, force: true });
  }
}

/**
 * A new session for `username` at the local provider of `issuer` (one started here, or by `npm start -- --oidc`, whose
 * client has the demo page as `redirectUri`).
 */
export async function signInAt(issuer: string, username: string, redirectUri = TEST_REDIRECT_URI): Promise<ProviderSession> {
  const session = new ProviderSession(issuer, redirectUri);
  await session.signIn(username);
  return session;
}

/**
 * One browser's session at the provider: its cookies, and the tokens of its last sign-in or refresh. `logout()` is the
 * RP-initiated logout of this session, which makes the provider POST a logout token naming its `sid`.
 */
export class ProviderSession {
  private current?: ProviderTokens;
  private readonly jar = new CookieJar();

  constructor(
    private readonly issuer: string,
    private readonly redirectUri: string,
  ) {}

  get tokens(): ProviderTokens {
    if (!this.current) throw new Error('not signed in');
    return this.current;
  }

  /** The `sid` claim of the current access token (= the `sid` of this session's logout token). */
  get sid(): string {
    const { sid } = JSON.parse(Buffer.from(this.tokens.accessToken.split('.')[1], 'base64url').toString()) as { sid?: string };
    if (typeof sid !== 'string') throw new Error('the access token carries no sid');
    return sid;
  }

  async signIn(username: string): Promise<ProviderTokens> {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const authorize = new URL(`${this.issuer}/auth`);
    for (const [name, value] of Object.entries({
      client_id: LOCAL_CLIENT_ID,
      response_type: 'code',
      redirect_uri: this.redirectUri,
      // offline_access: a refresh token, which the provider grants only with prompt=consent.
      scope: 'openid offline_access roles',
      prompt: 'consent',
      resource: LOCAL_AUDIENCE,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state,
      nonce: randomBytes(16).toString('base64url'),
    })) {
      authorize.searchParams.set(name, value);
    }
    const callback = await this.browse(authorize.href, { login: username, password: 'any password' });
    if (callback.searchParams.get('state') !== state) throw new Error(`the callback's state is not ours: ${callback.href}`);
    const code = callback.searchParams.get('code');
    if (!code) throw new Error(`no code in the callback: ${callback.href}`);
    return this.token({ grant_type: 'authorization_code', code, redirect_uri: this.redirectUri, code_verifier: verifier });
  }

  /** The refresh grant with the current refresh token (rotated: the provider answers a new one). */
  refresh(): Promise<ProviderTokens> {
    return this.token({ grant_type: 'refresh_token', refresh_token: this.tokens.refreshToken });
  }

  /**
   * RP-initiated logout: `/session/end` with the ID token as a hint, then its confirmation form ("yes, sign me out").
   * The provider answers the confirmation only after the back-channel logout request was answered (or failed).
   */
  async logout(): Promise<void> {
    const endSession = new URL(`${this.issuer}/session/end`);
    endSession.searchParams.set('id_token_hint', this.tokens.idToken);
    endSession.searchParams.set('client_id', LOCAL_CLIENT_ID);
    const done = await this.browse(endSession.href, { logout: 'yes' });
    if (!done.pathname.endsWith('/session/end/success')) throw new Error(`logout ended at ${done.href}`);
  }

  private async token(grant: Record<string, string>): Promise<ProviderTokens> {
    const response = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...grant, client_id: LOCAL_CLIENT_ID, resource: LOCAL_AUDIENCE }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status !== 200) throw new Error(`${grant.grant_type} grant: ${response.status} ${JSON.stringify(body)}`);
    const { access_token, id_token, refresh_token, expires_in } = body;
    if (typeof access_token !== 'string' || typeof refresh_token !== 'string' || typeof expires_in !== 'number') {
      throw new Error(`${grant.grant_type} grant: unexpected answer ${JSON.stringify(body)}`);
    }
    // The refresh grant answers an ID token too (openid scope); keep the last one as the logout hint.
    this.current = { accessToken: access_token, idToken: typeof id_token === 'string' ? id_token : this.tokens.idToken, refreshToken: refresh_token, expiresIn: expires_in };
    return this.current;
  }

  /**
   * Follows redirects and submits every form the provider shows (the login form with `fields.login`, the consent form,
   * the logout confirmation), as a browser whose user clicks "continue", until a redirect leaves the provider or a page
   * has no form. Resolves with that last URL.
   */
  private async browse(start: string, fields: Record<string, string>): Promise<URL> {
    let url = new URL(start);
    let init: RequestInit = { method: 'GET' };
    for (let step = 0; step < 20; step++) {
      if (!url.href.startsWith(`${this.issuer}/`)) return url;
      const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie: this.jar.header(url) } });
      this.jar.store(response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url);
        init = { method: 'GET' };
        continue;
      }
      const html = await response.text();
      if (response.status !== 200) throw new Error(`${init.method} ${url.href}: ${response.status} ${html.slice(0, 500)}`);
      const form = formOf(html);
      if (!form) return url;
      url = new URL(form.action, url);
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...form.hidden, ...pick(fields, form.fieldNames) }),
      };
    }
    throw new Error(`more than 20 steps from ${start}`);
  }
}

interface HtmlForm {
  action: string;
  hidden: Record<string, string>;
  /** Every input name, hidden or not, and named submit buttons (`logout`). */
  fieldNames: Set<string>;
}

/** The first form of a provider page (its markup is oidc-provider's own: attributes in double quotes). */
function formOf(html: string): HtmlForm | undefined {
  const action = /<form\b[^>]*\baction="([^"]+)"/.exec(html)?.[1];
  if (action === undefined) return undefined;
  const hidden: Record<string, string> = {};
  const fieldNames = new Set<string>();
  for (const [tag] of html.matchAll(/<(?:input|button)\b[^>]*>/g)) {
    const name = /\bname="([^"]+)"/.exec(tag)?.[1];
    if (!name) continue;
    fieldNames.add(name);
    if (/\btype="hidden"/.test(tag)) hidden[name] = decodeEntities(/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '');
  }
  return { action: decodeEntities(action), hidden, fieldNames };
}

function pick(fields: Record<string, string>, names: Set<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([name]) => names.has(name)));
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|quot|#39|lt|gt);/g, (_, entity: string) => ({ amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>' })[entity] ?? '');
}

/** Cookies by (name, path), as one browser keeps them for one host. */
class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(setCookies: string[]): void {
    for (const header of setCookies) {
      const { name, value, attributes } = parseSetCookie(header);
      const path = typeof attributes.path === 'string' ? attributes.path : '/';
      const expires = typeof attributes.expires === 'string' ? Date.parse(attributes.expires) : NaN;
      const key = `${name};${path}`;
      if (value === '' || attributes['max-age'] === '0' || expires < Date.now()) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter(({ path }) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}
