import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startCluster, TEST_ORIGIN, type Cluster } from '../support/cluster';
import { bearer, login, registerUser, request } from '../support/http';
import { installPackedPackages, typeCheck, type PackedProject } from '../support/packed-project';

const CLIENT_DIR = join(__dirname, '..', '..', 'libs/client');

// The consumer's own files, written into the temporary project. Its app events (`message`, `send`) are not the
// gateway's: the SDK must type whatever events the app declares.
const APP_EVENTS = `
import { connect, type SessionwireClient, type SignedOutReason } from '@sessionwire/client';

interface ChatServerEvents {
  message: (payload: { from: string; text: string; at: number }) => void;
}
interface ChatClientEvents {
  send: (payload: { text: string }, ack: (reply: { accepted: boolean }) => void) => void;
}

const chat: SessionwireClient<ChatServerEvents, ChatClientEvents> = connect<ChatServerEvents, ChatClientEvents>({
  url: 'http://localhost:3000',
  credentials: 'token',
  accessToken: 'an access token',
});
`;

const TYPED_CONSUMER = `${APP_EVENTS}
chat.socket.on('message', ({ from, text, at }) => console.log(from.toUpperCase(), text.trim(), at.toFixed()));
chat.socket.emit('send', { text: 'hello' }, (reply) => console.log(reply.accepted === true));
export const accepted: Promise<{ accepted: boolean }> = chat.socket.timeout(1000).emitWithAck('send', { text: 'hello' });
// The session layer's events are there whatever the app's maps are.
chat.socket.on('server:draining', ({ reconnect }) => console.log(reconnect === true));
chat.on('signedOut', ({ reason }) => {
  const why: SignedOutReason = reason;
  console.log(why);
});

// Without type arguments, any event goes, as with socket.io's defaults; the session layer's stay typed.
const untyped = connect({ url: 'http://localhost:3000', credentials: 'cookie' });
untyped.socket.emit('anything', 1, 'two');
untyped.socket.on('session:ended', ({ reason }) => console.log(reason.toUpperCase()));
`;

/** Every line marked `// type error` must fail to compile, and nothing else. */
const WRONG_CONSUMER = `${APP_EVENTS}
chat.socket.emit('send', { text: 42 }, () => {}); // type error: a number where the app's event has a string
chat.socket.emit('sned', { text: 'hello' }); // type error: not an event of the app
chat.socket.on('message', ({ from }) => from.toFixed()); // type error: from is a string
chat.socket.on('session:ended', ({ reason }) => reason.toFixed()); // type error: the session layer's event is typed too
chat.socket.emit('auth:refresh', { token: 7 }, () => {}); // type error: the session layer's payload
`;

// A plain Node ESM script, as a team would write it: connects with a token, asks the gateway `whoami` (an event of
// the demo app, not of the SDK), and prints the SDK's events as JSON lines.
const NODE_SCRIPT = `
import { connect } from '@sessionwire/client';

const [url, authBaseUrl, accessToken, refreshToken, origin] = process.argv.slice(2);
const print = (record) => process.stdout.write(JSON.stringify(record) + '\\n');
const client = connect({ url, authBaseUrl, credentials: 'token', accessToken, refreshToken, transports: ['websocket'], extraHeaders: { origin } });
client.on('connected', async () => {
  const reply = await client.socket.timeout(5000).emitWithAck('whoami');
  print({ event: 'whoami', reply });
});
client.on('disconnected', ({ reason, willReconnect }) => print({ event: 'disconnected', reason, willReconnect }));
client.on('signedOut', ({ reason }) => print({ event: 'signedOut', reason, state: client.state, connected: client.socket.connected }));
`;

const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022', 'dom'],
    types: [],
    strict: true,
    noEmit: true,
    // The package's own declarations are checked too.
    skipLibCheck: false,
  },
};

/** The JSON lines a child process prints, awaited by their `event` field. */
function jsonLines(child: ChildProcess): (event: string, timeoutMs?: number) => Promise<Record<string, unknown>> {
  const received: Array<Record<string, unknown>> = [];
  const waiting = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    received.push(JSON.parse(line) as Record<string, unknown>);
    for (const wake of [...waiting]) wake();
  });
  return (event, timeoutMs = 15_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const index = received.findIndex((record) => record.event === event);
        if (index === -1) return;
        done();
        resolve(received.splice(index, 1)[0]);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${event} from the consumer script within ${timeoutMs} ms; received ${JSON.stringify(received)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiting.delete(check);
      };
      waiting.add(check);
      check();
    });
}

describe('@sessionwire/client as a package', () => {
  describe('installed from its tarball into an empty project', () => {
    let project: PackedProject;

    beforeAll(async () => {
      project = await installPackedPackages([CLIENT_DIR], ['socket.io-client']);
    }, 120_000);

    afterAll(() => project?.cleanup());

    it('its code and its types import nothing but socket.io-client (no zod, no contracts)', async () => {
      const dist = join(project.dir, 'node_modules/@sessionwire/client/dist');
      const imported = (source: string) => [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/g)].map(([, name]) => name);
      expect(new Set(imported(await readFile(join(dist, 'index.d.mts'), 'utf8')))).toEqual(new Set(['socket.io-client']));
      expect(new Set(imported(await readFile(join(dist, 'index.mjs'), 'utf8')))).toEqual(new Set(['socket.io-client']));
    });

    it("type-checks a consumer's own event maps (tsc, moduleResolution nodenext): app and session events typed, untyped use allowed", async () => {
      await writeFile(join(project.dir, 'typed.ts'), TYPED_CONSUMER);
      await writeFile(join(project.dir, 'tsconfig.typed.json'), JSON.stringify({ ...TSCONFIG, files: ['typed.ts'] }));
      const result = await typeCheck(join(project.dir, 'tsconfig.typed.json'));
      expect(result).toEqual({ code: 0, output: '' });
    }, 60_000);

    it('refuses wrong payloads and unknown events of the app, and wrong uses of the session events', async () => {
      await writeFile(join(project.dir, 'wrong.ts'), WRONG_CONSUMER);
      await writeFile(join(project.dir, 'tsconfig.wrong.json'), JSON.stringify({ ...TSCONFIG, files: ['wrong.ts'] }));
      const result = await typeCheck(join(project.dir, 'tsconfig.wrong.json'));
      const expectedLines = WRONG_CONSUMER.split('\n').flatMap((line, index) => (line.includes('// type error') ? [index + 1] : []));
      const errorLines = [...result.output.matchAll(/^wrong\.ts\((\d+),\d+\): error TS\d+/gm)].map(([, line]) => Number(line));
      expect(result.code).not.toBe(0);
      expect(expectedLines).toHaveLength(5);
      expect([...new Set(errorLines)]).toEqual(expectedLines);
    }, 60_000);

    describe('a plain Node ESM script against a real auth service and gateway', () => {
      let cluster: Cluster;

      beforeAll(async () => {
        cluster = await startCluster({ gateways: 1 });
      }, 90_000);

      afterAll(() => cluster?.cleanup(), 60_000);

      it("connects with a token, gets the gateway's whoami ack, and is signed out with reason logout by an HTTP logout", async () => {
        await registerUser(cluster.authUrl, 'packaged-client');
        const user = await login(cluster.authUrl, 'packaged-client');
        await writeFile(join(project.dir, 'consumer.mjs'), NODE_SCRIPT);
        const args = [cluster.gateways[0].url, cluster.authUrl, user.accessToken, user.refreshToken, TEST_ORIGIN];
        const child = spawn(process.execPath, ['consumer.mjs', ...args], { cwd: project.dir, stdio: ['ignore', 'pipe', 'inherit'] });
        const exited = once(child, 'exit');
        try {
          const next = jsonLines(child);
          expect(await next('whoami')).toEqual({
            event: 'whoami',
            reply: { ok: true, userId: user.user.id, sessionId: user.sessionId, nodeId: 'gw-1', roles: ['user'] },
          });

          expect((await request(cluster.authUrl, 'POST', '/auth/logout', { headers: bearer(user.accessToken) })).status).toBe(204);
          expect(await next('signedOut')).toEqual({ event: 'signedOut', reason: 'logout', state: 'signedOut', connected: false });
          // Signed out, the client holds nothing open: the script ends by itself.
          expect(await exited).toEqual([0, null]);
        } finally {
          child.kill('SIGKILL');
        }
      }, 60_000);
    });
  });
});
