import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { TEST_ORIGIN } from './cluster';

/** A socket.io-client connection in a process of its own, so a test can freeze it (SIGSTOP) like a hung or cut-off client. */
export interface ClientProcess {
  socketId: string;
  /** SIGSTOP: the client stops reading, so it answers no ping. */
  freeze(): void;
  kill(): Promise<void>;
}

// Runs with the repository as cwd, so `require('socket.io-client')` finds the project's copy.
const CLIENT_SCRIPT = `
const { io } = require('socket.io-client');
const [url, token, origin] = process.argv.slice(1);
const socket = io(url, { transports: ['websocket'], reconnection: false, auth: { token }, extraHeaders: { origin } });
socket.on('connect', () => process.stdout.write('connected ' + socket.id + '\\n'));
socket.on('connect_error', (error) => { process.stdout.write('refused ' + error.message + '\\n'); process.exit(1); });
`;

export async function startClientProcess(url: string, token: string): Promise<ClientProcess> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CLIENT_SCRIPT, url, token, TEST_ORIGIN], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout! });
  const [firstLine] = (await Promise.race([once(lines, 'line'), exited.then(() => [`exited with ${child.exitCode}`])])) as [string];
  const match = /^connected (\S+)$/.exec(firstLine);
  if (!match) {
    child.kill('SIGKILL');
    throw new Error(`client process did not connect: ${firstLine}`);
  }
  return {
    socketId: match[1],
    freeze: () => child.kill('SIGSTOP'),
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
