import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from '../support/app-process';
import { TEST_AUTH_ENV } from '../support/auth-app';
import { freePort } from '../support/free-port';
import { login, registerUser, request } from '../support/http';
import { startRedisServer, type RedisServer } from '../support/redis-server';

describe('the signing key files: validated at boot, read again on SIGHUP', () => {
  let redis: RedisServer;
  let dir: string;
  const started: AppProcess[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    dir = await mkdtemp(join(tmpdir(), 'sessionwire-signing-keys-'));
  });

  afterAll(async () => {
    await Promise.all(started.map((app) => app.stop('SIGKILL')));
    await redis?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const files = {
    current: () => join(dir, 'current.pem'),
    next: () => join(dir, 'next.pem'),
    previous: () => join(dir, 'previous.pem'),
  };

  async function startAuth(env: Record<string, string>): Promise<{ app: AppProcess; url: string }> {
    const port = await freePort();
    const app = await AppProcess.start('auth', 'auth', { ...TEST_AUTH_ENV, ...redis.env, LOG_LEVEL: 'info', PORT: String(port), ...env });
    started.push(app);
    return { app, url: `http://127.0.0.1:${port}` };
  }

  const rotationEnv = () => ({
    SIGNING_KEY_FILE: files.current(),
    SIGNING_KEY_NEXT_FILE: files.next(),
    SIGNING_KEY_PREVIOUS_FILE: files.previous(),
    ALLOW_DEV_SIGNING_KEY: 'false',
  });

  beforeEach(async () => {
    await writeFile(files.current(), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(files.next(), '');
    await writeFile(files.previous(), '');
  });

  it.each([
    ['SIGNING_KEY_NEXT_FILE', 'not a key', /SIGNING_KEY_NEXT_FILE \(.*next\.pem\) is not a PEM key/],
    ['SIGNING_KEY_PREVIOUS_FILE', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString(), /SIGNING_KEY_PREVIOUS_FILE \(.*previous\.pem\) must be an EC P-256 key/],
    ['SIGNING_KEY_FILE', 'not a key', /SIGNING_KEY_FILE \(.*current\.pem\) is not a PEM private key/],
  ])('stops the auth service at boot when %s holds a bad key, naming the variable', async (variable, content, message) => {
    const file = { SIGNING_KEY_FILE: files.current(), SIGNING_KEY_NEXT_FILE: files.next(), SIGNING_KEY_PREVIOUS_FILE: files.previous() }[variable] as string;
    await writeFile(file, content);

    const start = startAuth(rotationEnv());

    await expect(start).rejects.toThrow(message);
    await expect(start).rejects.toThrow(/auth failed to start/);
  });

  it('stops the auth service at boot when a key file does not exist, naming the variable', async () => {
    await expect(startAuth({ ...rotationEnv(), SIGNING_KEY_PREVIOUS_FILE: join(dir, 'missing.pem') })).rejects.toThrow(
      /SIGNING_KEY_PREVIOUS_FILE \(.*missing\.pem\) cannot be read/,
    );
  });

  it('keeps the keys in use when a reload finds a bad file, and logs which variable', async () => {
    const { app, url } = await startAuth(rotationEnv());
    const before = await request<{ keys: Array<{ kid: string }> }>(url, 'GET', '/.well-known/jwks.json');
    expect(before.body.keys).toHaveLength(1);
    await writeFile(files.next(), 'not a key');

    app.signal('SIGHUP');

    await app.waitForLog(/Signing keys not reloaded, the previous ones stay in use: SIGNING_KEY_NEXT_FILE/);
    expect((await request(url, 'GET', '/.well-known/jwks.json')).body).toEqual(before.body);
    await registerUser(url, 'keys-alice');
    await expect(login(url, 'keys-alice')).resolves.toMatchObject({ accessToken: expect.any(String) });
  });
});
