import { discover, trustedIssuersSchema } from '@app/oidc';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCAL_CLIENT_ID, LOCAL_PROVIDER_NAME, LOCAL_PROVIDER_PATH } from '../../scripts/lib/local-provider.mjs';
import { eventually } from '../support/eventually';
import { freePort } from '../support/free-port';
import { rawRequest } from '../support/http';
import { Launcher } from '../support/launcher';
import { signInAt } from '../support/oidc-provider';

const ROOT = join(__dirname, '..', '..');

/** The environment of the live process `pid` (Linux /proc), as the launcher gave it. */
async function environmentOf(pid: number): Promise<Record<string, string>> {
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

async function publishedKids(issuer: string): Promise<string[]> {
  const { keys } = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
  return keys.map((key) => key.kid).sort();
}

/** `npm run oidc:keys -- <args>`, as a user types it; resolves with its output once it exited 0. */
function oidcKeys(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'oidc:keys', '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`npm run oidc:keys exited ${code}:\n${output}`))));
  });
}

describe('npm start -- --oidc: a local OpenID Provider, supervised and trusted by the apps', () => {
  let launcher: Launcher;
  let oidcPort: number;
  /** The public origin's /idp, where nginx serves the provider. */
  let issuer: string;

  beforeAll(async () => {
    oidcPort = await freePort();
    launcher = await Launcher.start({ gateways: 1, args: ['--oidc', '--oidc-port', String(oidcPort)] });
    issuer = `${launcher.url}${LOCAL_PROVIDER_PATH}`;
  }, 180_000);

  afterAll(async () => {
    await launcher?.kill();
  }, 60_000);

  it('serves the provider at its issuer and says so', async () => {
    expect((await discover(issuer, 5000)).issuer).toBe(issuer);
    expect(launcher.printed()).toContain(`OpenID Provider: ${issuer}`);
  });

  it('puts its endpoints on the origin the browser asked for (localhost or 127.0.0.1, port included), where the demo page reaches them', async () => {
    for (const host of [`127.0.0.1:${launcher.port}`, `localhost:${launcher.port}`]) {
      const { status, body } = await rawRequest(launcher.url, [
        `GET ${LOCAL_PROVIDER_PATH}/.well-known/openid-configuration HTTP/1.1`,
        `Host: ${host}`,
        // nginx's own X-Forwarded-Host replaces a client's.
        'X-Forwarded-Host: evil.example',
      ]);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        issuer,
        authorization_endpoint: `http://${host}${LOCAL_PROVIDER_PATH}/auth`,
        token_endpoint: `http://${host}${LOCAL_PROVIDER_PATH}/token`,
        end_session_endpoint: `http://${host}${LOCAL_PROVIDER_PATH}/session/end`,
      });
    }
  });

  it('gives auth and the gateways an OIDC_ISSUERS entry for it that the apps validate', async () => {
    for (const name of ['auth', 'gateway-1']) {
      const { OIDC_ISSUERS } = await environmentOf((await launcher.service(name)).pgid);
      const issuers = trustedIssuersSchema.parse(JSON.parse(OIDC_ISSUERS));
      // Its keys from its own port: the apps start before nginx.
      const jwksUri = `http://127.0.0.1:${oidcPort}${LOCAL_PROVIDER_PATH}/jwks`;
      expect(issuers).toEqual([expect.objectContaining({ issuer, jwksUri, clientId: LOCAL_CLIENT_ID, claims: expect.objectContaining({ sessionId: 'sid' }) })]);
    }
  });

  it('signs in from the demo page and sends its logout token through nginx to the auth service', async () => {
    const session = await signInAt(issuer, 'oidc-demo-user', `${launcher.url}/`);
    await session.logout();
    // The request reached auth's /oidc/backchannel-logout through nginx (not an nginx 404): auth logged it.
    await eventually(async () => expect(await readFile(join(launcher.dataDir, 'logs/auth.log'), 'utf8')).toContain('/oidc/backchannel-logout'), 10_000);
    const providerLog = await readFile(join(launcher.dataDir, `logs/${LOCAL_PROVIDER_NAME}.log`), 'utf8');
    expect(providerLog).toContain(`back-channel logout of oidc-demo-user (sid ${session.sid})`);
  });

  it('restarts a killed provider on the same port with the same keys, and rotates them with npm run oidc:keys', async () => {
    const kids = await publishedKids(issuer);
    const before = await launcher.service(LOCAL_PROVIDER_NAME);
    await launcher.signalService(LOCAL_PROVIDER_NAME, 'SIGKILL');
    await eventually(async () => expect((await launcher.service(LOCAL_PROVIDER_NAME)).pgid).not.toBe(before.pgid), 20_000, 250);
    expect(await eventually(() => publishedKids(issuer), 20_000, 250)).toEqual(kids);

    expect(await oidcKeys(['rotate', '--data-dir', launcher.dataDir])).toContain('sent SIGHUP to the running provider');
    await eventually(async () => {
      const rotated = await publishedKids(issuer);
      expect(rotated).toHaveLength(kids.length * 2);
      expect(rotated).toEqual(expect.arrayContaining(kids));
    }, 10_000, 100);
    // The new key signs at once: the access token of a new sign-in carries a kid that was not published before.
    const { kid } = JSON.parse(Buffer.from((await signInAt(issuer, 'after-rotation', `${launcher.url}/`)).tokens.accessToken.split('.')[0], 'base64url').toString()) as { kid: string };
    expect(kids).not.toContain(kid);
  });
});
