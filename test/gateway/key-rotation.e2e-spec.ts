import type { TokenPair } from '@app/contracts';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, SignJWT } from 'jose';
import { expectError } from '../support/assertions';
import { startCluster, type Cluster, type GatewayNode } from '../support/cluster';
import { eventually } from '../support/eventually';
import { bearer, login, registerUser, request, type LoggedIn } from '../support/http';
import { closeAllSockets, connectError, connectSocket } from '../support/sockets';

const ROTATE_SCRIPT = join(__dirname, '../../scripts/rotate-signing-key.mjs');

/**
 * Waits out a span of time nothing announces the end of: a gateway's JWKS cooldown, or the access-token lifetime a
 * rotation step must wait for (the documented procedure's own waits).
 */
const elapse = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One step of the documented rotation (`npm run keys:rotate`) on the cluster's key files, then SIGHUP to auth; resolves
 * once auth says it signs with the current file's key and publishes it, the next and the previous one (in that order).
 */
async function rotate(cluster: Cluster, step: 'publish' | 'promote' | 'retire'): Promise<{ signing: string; published: string[] }> {
  await promisify(execFile)(process.execPath, [
    ROTATE_SCRIPT,
    step,
    '--current',
    cluster.signingKeyFile,
    '--next',
    cluster.nextKeyFile,
    '--previous',
    cluster.previousKeyFile,
  ]);
  const pems = await Promise.all([cluster.signingKeyFile, cluster.nextKeyFile, cluster.previousKeyFile].map((file) => readFile(file, 'utf8')));
  const [signing, ...others] = await Promise.all(pems.filter((pem) => pem.trim() !== '').map(kidOf));
  const published = [signing, ...others];
  cluster.auth.signal('SIGHUP');
  await cluster.auth.waitForLog(new RegExp(`Signing keys reloaded: signing with kid ${signing}; publishing ${published.join(', ')}"`));
  return { signing, published };
}

async function kidOf(pem: string): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(createPublicKey(pem)));
}

/** A token the auth service would issue for `session`, signed by `privateKey` under `kid`. */
function tokenFor(session: LoggedIn, privateKey: KeyObject, kid: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: session.sessionId, roles: ['user'] })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
    .setSubject(session.user.id)
    .setJti(randomUUID())
    .setIssuer('sessionwire-auth')
    .setAudience('sessionwire')
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 300)
    .sign(privateKey);
}

/** GETs of the JWKS the auth service has answered so far (its access log; only gateways fetch it). */
const jwksRequests = (cluster: Cluster) => (cluster.auth.logs().match(/"url":"\/\.well-known\/jwks\.json"/g) ?? []).length;

afterEach(() => closeAllSockets());

describe("gateways take the auth service's keys from jose's remote JWKS", () => {
  const COOLDOWN_MS = 2000;
  let cluster: Cluster;
  let gateway: GatewayNode;
  let session: LoggedIn;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 1, gatewayEnv: { JWKS_COOLDOWN_MS: String(COOLDOWN_MS) } });
    gateway = cluster.gateways[0];
    await registerUser(cluster.authUrl, 'jwks-alice');
    session = await login(cluster.authUrl, 'jwks-alice');
  });

  afterAll(() => cluster?.cleanup());

  it('accepts, after one refetch, a token signed by a key the auth service started publishing after the gateway loaded the JWKS', async () => {
    const currentKid = await kidOf(await readFile(cluster.signingKeyFile, 'utf8'));
    const fetchedAtStart = jwksRequests(cluster);
    expect(fetchedAtStart).toBe(1);

    const afterPublish = await rotate(cluster, 'publish');
    const nextPem = await readFile(cluster.nextKeyFile, 'utf8');
    const nextKid = await kidOf(nextPem);
    expect(afterPublish).toEqual({ signing: currentKid, published: [currentKid, nextKid] });
    await elapse(COOLDOWN_MS + 500);

    const socket = await connectSocket(gateway.url, { token: await tokenFor(session, createPrivateKey(nextPem), nextKid) });

    expect(socket.connected).toBe(true);
    expect(jwksRequests(cluster)).toBe(fetchedAtStart + 1);
  });

  it('answers a burst of tokens with unknown kids with UNAUTHORIZED and at most one JWKS request per cooldown', async () => {
    await elapse(COOLDOWN_MS + 500);
    const before = jwksRequests(cluster);
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const startedAt = Date.now();

    const refusals = await Promise.all(
      Array.from({ length: 40 }, async () => connectError(gateway.url, { token: await tokenFor(session, forger, randomUUID()) })),
    );
    const tookMs = Date.now() - startedAt;

    expect(refusals.map((error) => error.data?.code)).toEqual(Array(40).fill('UNAUTHORIZED'));
    // The first unknown kid after the cooldown refetches (the others share that fetch or fall in the new cooldown).
    await eventually(() => expect(jwksRequests(cluster)).toBeGreaterThanOrEqual(before + 1));
    expect(jwksRequests(cluster) - before).toBeLessThanOrEqual(1 + Math.floor(tookMs / COOLDOWN_MS));
  });
});

describe('the auth service rotates its signing key while clients keep refreshing and reconnecting', () => {
  const COOLDOWN_MS = 1000;
  const ACCESS_TOKEN_TTL_SECONDS = 3;
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({
      gateways: 2,
      authEnv: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) },
      gatewayEnv: { JWKS_COOLDOWN_MS: String(COOLDOWN_MS), JWKS_MAX_AGE_MS: '2000', HANDSHAKE_LIMIT_PER_IP: '100000' },
    });
  });

  afterAll(() => cluster?.cleanup());

  interface Outcome {
    gateway: string;
    kid: string;
    refused?: string;
  }

  /** Refreshes, connects to the next gateway with the new access token and disconnects, until told to stop. */
  async function churn(session: LoggedIn, outcomes: Outcome[], stopped: () => boolean): Promise<void> {
    let refreshToken = session.refreshToken;
    for (let round = 0; !stopped(); round++) {
      const refreshed = await request<TokenPair>(cluster.authUrl, 'POST', '/auth/refresh', { json: { refreshToken } });
      if (refreshed.status !== 200) {
        outcomes.push({ gateway: 'auth', kid: '', refused: `refresh: ${refreshed.status} ${JSON.stringify(refreshed.body)}` });
        return;
      }
      refreshToken = refreshed.body.refreshToken;
      const kid = String(decodeProtectedHeader(refreshed.body.accessToken).kid);
      const gateway = cluster.gateways[round % cluster.gateways.length];
      try {
        const socket = await connectSocket(gateway.url, { token: refreshed.body.accessToken });
        socket.close();
        outcomes.push({ gateway: gateway.nodeId, kid });
      } catch (error) {
        outcomes.push({ gateway: gateway.nodeId, kid, refused: `${(error as Error).message} ${JSON.stringify((error as { data?: unknown }).data)}` });
      }
      await elapse(20);
    }
  }

  it('refuses no refresh and no handshake across publish, promote and retire; the new key signs and is accepted; the retired key is refused UNAUTHORIZED', async () => {
    const oldPem = await readFile(cluster.signingKeyFile, 'utf8');
    const oldKid = await kidOf(oldPem);
    const users = await Promise.all(['rotation-a', 'rotation-b', 'rotation-c'].map((name) => registerUser(cluster.authUrl, name).then(() => login(cluster.authUrl, name))));
    const outcomes: Outcome[] = [];
    let stop = false;
    let newKid = '';
    const loops = users.map((user) => churn(user, outcomes, () => stop));
    const succeeded = () => outcomes.filter((outcome) => !outcome.refused).length;
    const moreRounds = async (count: number) => {
      const target = succeeded() + count;
      await eventually(() => expect(succeeded()).toBeGreaterThanOrEqual(target), 20_000);
    };

    try {
      await moreRounds(6);
      const afterPublish = await rotate(cluster, 'publish');
      newKid = afterPublish.published[1];
      expect(afterPublish).toEqual({ signing: oldKid, published: [oldKid, newKid] });
      await moreRounds(6);
      // The documented wait between publish and promote: longer than the gateways' JWKS cooldown.
      await elapse(COOLDOWN_MS + 500);
      expect(await rotate(cluster, 'promote')).toEqual({ signing: newKid, published: [newKid, oldKid] });
      await eventually(
        () => expect(cluster.gateways.filter((gateway) => outcomes.some((outcome) => outcome.gateway === gateway.nodeId && outcome.kid === newKid && !outcome.refused))).toHaveLength(cluster.gateways.length),
        20_000,
      );
      // The documented wait between promote and retire: every token signed by the old key has expired.
      await elapse(ACCESS_TOKEN_TTL_SECONDS * 1000 + 1000);
      expect(await rotate(cluster, 'retire')).toEqual({ signing: newKid, published: [newKid] });
      await moreRounds(6);
    } finally {
      stop = true;
      await Promise.all(loops);
    }

    expect(outcomes.filter((outcome) => outcome.refused)).toEqual([]);
    expect(outcomes.filter((outcome) => outcome.kid === oldKid).length).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => outcome.kid === newKid).length).toBeGreaterThan(0);

    // Retired: a token signed by the old key (otherwise valid) is refused by the auth service, by a gateway that
    // loaded the JWKS since, and by the running gateways once their JWKS is older than JWKS_MAX_AGE_MS.
    const [holder] = users;
    const retiredToken = () => tokenFor(holder, createPrivateKey(oldPem), oldKid);
    expectError(await request(cluster.authUrl, 'GET', '/auth/me', { headers: bearer(await retiredToken()) }), 401, 'UNAUTHORIZED');
    const late = await cluster.startGateway('gw-late');
    expect((await connectError(late.url, { token: await retiredToken() })).data?.code).toBe('UNAUTHORIZED');
    for (const gateway of cluster.gateways) {
      await eventually(async () => expect((await connectError(gateway.url, { token: await retiredToken() })).data?.code).toBe('UNAUTHORIZED'), 10_000);
    }
  });

  it('keeps verifying with the keys fetched before while the auth service is down past JWKS_MAX_AGE_MS', async () => {
    await registerUser(cluster.authUrl, 'outage-alice');
    const session = await login(cluster.authUrl, 'outage-alice');
    const currentPem = await readFile(cluster.signingKeyFile, 'utf8');
    const [gateway] = cluster.gateways;
    // The gateway holds the current key (it verified the login's token), then the auth service goes away.
    (await connectSocket(gateway.url, { token: session.accessToken })).close();
    await cluster.auth.stop('SIGKILL');
    await elapse(2500); // past the gateways' JWKS_MAX_AGE_MS (2000): the next lookup refetches, and that fails

    const socket = await connectSocket(gateway.url, { token: await tokenFor(session, createPrivateKey(currentPem), await kidOf(currentPem)) });

    expect(socket.connected).toBe(true);
    await gateway.process.waitForLog(/JWKS refetch from .* failed .*; verifying with the keys fetched before/);
  });
});
