import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RevocationConfirmation } from '@app/contracts';
import { packPackage } from '../../scripts/lib/packages.mjs';
import { startCluster, type Cluster } from '../support/cluster';
import { login, registerUser, type LoggedIn } from '../support/http';
import { closeAllSockets, connectError, connectSocket, disconnected, nextEvent, type ClientSocket } from '../support/sockets';

const ROOT = join(__dirname, '..', '..');
const PACKAGE_DIR = join(ROOT, 'libs/revoke');
const IOREDIS_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/ioredis/package.json'), 'utf8')) as { version: string }).version;
const execFileAsync = promisify(execFile);

// A plain Node program of the consuming project, ESM: ends every session of a user on an ioredis client it owns,
// waiting for the gateways' confirmations, then shows what a bad input throws.
const END_ALL_MJS = `
import { Redis } from 'ioredis';
import { createRevoker, InvalidRevocationError } from '@sessionwire/revoke';

const [redisUrl, userId] = process.argv.slice(2);
const redis = new Redis(redisUrl);
const revoker = createRevoker({ redis });
const result = await revoker.endSessions({ userId, sessionIds: null, reason: 'admin_revoke', confirm: { timeoutMs: 15000 } });
let badInput;
try {
  await revoker.endSessions({ userId: 'alice', sessionIds: null, reason: 'admin_revoke' });
} catch (error) {
  badInput = { name: error.name, code: error.code, message: error.message, isNamedClass: error instanceof InvalidRevocationError };
}
await revoker.close();
await redis.quit();
console.log(JSON.stringify({ result, badInput }));
`;

// The same package from CommonJS, on a connection the revoker makes from a URL (and closes): ends one listed session.
const END_ONE_CJS = `
const { createRevoker } = require('@sessionwire/revoke');

const [redisUrl, userId, sessionId] = process.argv.slice(2);
(async () => {
  const revoker = createRevoker({ redis: redisUrl });
  const result = await revoker.endSessions({ userId, sessionIds: [sessionId], reason: 'session_revoked' });
  await revoker.close();
  console.log(JSON.stringify({ result }));
})();
`;

interface EndAllOutput {
  result: { ended: string[]; messageId: string | null; confirmation?: RevocationConfirmation };
  badInput?: { name: string; code: string; message: string; isNamedClass: boolean };
}

describe('@sessionwire/revoke installed from its tarball into an empty project', () => {
  let cluster: Cluster;
  let project: string;
  let counter = 0;

  beforeAll(async () => {
    cluster = await startCluster({ gateways: 2 });
    project = await mkdtemp(join(tmpdir(), 'sessionwire-revoke-consumer-'));
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'revoke-consumer', version: '1.0.0', private: true }));
    const { tarball } = await packPackage(PACKAGE_DIR, project);
    await execFileAsync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball as string, `ioredis@${IOREDIS_VERSION}`], { cwd: project });
    await writeFile(join(project, 'end-all.mjs'), END_ALL_MJS);
    await writeFile(join(project, 'end-one.cjs'), END_ONE_CJS);
  });

  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await cluster?.cleanup();
    if (project) await rm(project, { recursive: true, force: true });
  });

  /** Runs one of the consumer's scripts in its own Node process, in the consumer project, and reads its JSON line. */
  async function runConsumer<T>(script: string, args: string[]): Promise<T> {
    const { stdout } = await execFileAsync(process.execPath, [script, ...args], { cwd: project });
    return JSON.parse(stdout) as T;
  }

  async function newUser(): Promise<{ id: string; username: string; session: LoggedIn }> {
    const username = `revoke-user-${++counter}`;
    const { id } = await registerUser(cluster.authUrl, username);
    return { id, username, session: await login(cluster.authUrl, username) };
  }

  it('packs only LICENSE, README.md, package.json and dist/', async () => {
    const { files } = await packPackage(PACKAGE_DIR);
    const paths = files.map((file) => file.path).sort();
    expect(paths.filter((path) => !['LICENSE', 'README.md', 'package.json'].includes(path) && !path.startsWith('dist/'))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.mjs', 'dist/index.js', 'dist/index.d.mts', 'dist/index.d.ts']));
  });

  it('ends a user with sockets on both gateway processes: every socket told and closed, each node confirming its count, reconnects refused; bad input gets the named error', async () => {
    const alice = await newUser();
    const sockets: ClientSocket[] = [];
    for (const gateway of cluster.gateways) {
      sockets.push(await connectSocket(gateway.url, { token: alice.session.accessToken }));
      sockets.push(await connectSocket(gateway.url, { cookie: alice.session.cookie }));
    }
    const ended = sockets.map((socket) => nextEvent(socket, 'session:ended'));
    const gone = sockets.map((socket) => disconnected(socket, 15_000));

    const { result, badInput } = await runConsumer<EndAllOutput>('end-all.mjs', [cluster.redis.url, alice.id]);

    expect(result).toEqual({
      ended: [alice.session.sessionId],
      messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      confirmation: {
        closedSockets: 4,
        nodes: [
          { nodeId: 'gw-1', closedSockets: 2 },
          { nodeId: 'gw-2', closedSockets: 2 },
        ],
        unconfirmedNodes: [],
      },
    });
    expect(await Promise.all(ended)).toEqual(sockets.map(() => expect.objectContaining({ reason: 'admin_revoke' })));
    expect(await Promise.all(gone)).toEqual(sockets.map(() => 'io server disconnect'));
    for (const gateway of cluster.gateways) {
      expect((await connectError(gateway.url, { token: alice.session.accessToken })).data?.code).toBe('SESSION_REVOKED');
    }
    expect(badInput).toEqual({ name: 'InvalidRevocationError', code: 'INVALID_REVOCATION', message: expect.stringMatching(/userId/), isNamedClass: true });
  });

  it('works from CommonJS too: ending one listed session closes its socket and leaves the user\'s other session connected', async () => {
    const bob = await newUser();
    const other = await login(cluster.authUrl, bob.username);
    const target = await connectSocket(cluster.gateways[0].url, { token: bob.session.accessToken });
    const survivor = await connectSocket(cluster.gateways[1].url, { token: other.accessToken });
    const ended = nextEvent(target, 'session:ended');

    const { result } = await runConsumer<EndAllOutput>('end-one.cjs', [cluster.redis.url, bob.id, bob.session.sessionId]);

    expect(result).toEqual({ ended: [bob.session.sessionId], messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(await ended).toEqual(expect.objectContaining({ reason: 'session_revoked', sessionId: bob.session.sessionId }));
    expect((await survivor.emitWithAck('whoami')).ok).toBe(true);
  });
});
