import type { RedisClient } from '@app/redis';
import { StoredNodeEntry, type Connection, type ConnectionRegistry } from '@app/registry';
import type { SessionStore } from '@app/sessions';
import type { SessionwireLogger } from '../config/logger';
import type { ExternalSessionEnds } from '../registry/external-session-ends';
import type { RegistryWriter } from '../registry/registry-writer';
import type { ForcedLogout } from '../sockets/forced-logout';
import type { LocalSockets } from '../sockets/local-sockets';
import { noMetrics } from '../sockets/metrics';
import type { WireSocket } from '../sockets/socket-types';
import { SessionRecheck } from './session-recheck';

const NODE = 'node-1';

/**
 * A re-check whose session-existence answer is held by the test; the node's registry view and sockets are plain arrays.
 * `chunked`: how the registry hands the view over (default: one chunk, read when the reconcile asks for it).
 */
function recheckWith(recorded: Connection[], chunked: (entries: Connection[]) => Connection[][] = (entries) => [[...entries]]) {
  const live: WireSocket[] = [];
  const removed: string[] = [];
  const rewritten: string[] = [];
  let answerExists!: (alive: boolean[]) => void;
  let existsAsked!: () => void;
  const asked = new Promise<void>((resolve) => (existsAsked = resolve));
  const sessions = {
    whichExist: () =>
      new Promise<boolean[]>((resolve) => {
        answerExists = resolve;
        existsAsked();
      }),
  } as unknown as SessionStore;
  const registry = {
    socketsOfNode: async function* () {
      for (const chunk of chunked(recorded)) yield chunk.map(stored);
    },
    remove: (entries: Connection[]) => {
      removed.push(...entries.map((entry) => entry.socketId));
      return Promise.resolve();
    },
  } as unknown as ConnectionRegistry;
  let changed: (socket: WireSocket) => Connection | undefined = () => undefined;
  const writer = {
    current: (socket: WireSocket) => changed(socket) ?? recorded.find((entry) => entry.socketId === socket.id) ?? connection(socket.id, 0),
    addSockets: (sockets: WireSocket[]) => {
      rewritten.push(...sockets.map((socket) => socket.id));
      return Promise.resolve();
    },
  } as unknown as RegistryWriter;
  const silent: SessionwireLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const recheck = new SessionRecheck(
    { nodeId: NODE, recheckIntervalMs: 30_000 },
    { status: 'ready' } as unknown as RedisClient,
    sessions,
    {} as ExternalSessionEnds,
    () => false,
    registry,
    writer,
    { all: () => [...live], byId: (socketId: string) => live.find((socket) => socket.id === socketId) } as unknown as LocalSockets,
    { end: () => 0 } as unknown as ForcedLogout,
    noMetrics,
    silent,
  );
  return {
    recheck,
    live,
    removed,
    rewritten,
    asked,
    answerExists: (alive: boolean[]) => answerExists(alive),
    /** What the writer answers for a socket whose entry is to differ from the recorded one. */
    currentOf: (current: (socket: WireSocket) => Connection | undefined) => (changed = current),
  };
}

/** As the registry stores it: the same JSON as the registry writes, so that a current entry compares equal. */
function stored({ nodeId, socketId, userId, sessionId, connectedAt, transport, credentialExpiresAt }: Connection): StoredNodeEntry {
  return new StoredNodeEntry(nodeId, socketId, JSON.stringify({ userId, sessionId, connectedAt, transport, credentialExpiresAt }));
}

function connection(socketId: string, connectedAt: number): Connection {
  return { nodeId: NODE, socketId, userId: `user-${socketId}`, sessionId: `session-${socketId}`, connectedAt, transport: 'websocket', credentialExpiresAt: connectedAt + 60_000 };
}

const socketNamed = (id: string) => ({ id, connected: true, data: { sessionId: `session-${id}`, userId: `user-${id}` } }) as unknown as WireSocket;

describe('SessionRecheck reconciling the registry', () => {
  it('keeps the entries of sockets that connected, or were being admitted, while the pass waited for Redis; removes entries of no socket', async () => {
    const longAgo = Date.now() - 60_000;
    const recorded = [connection('old', longAgo), connection('gone', longAgo), connection('slow', longAgo)];
    const harness = recheckWith(recorded);
    harness.live.push(socketNamed('old'));
    const pass = harness.recheck.run();
    await harness.asked;
    // Meanwhile a slow handshake admitted long ago connects, a new one connects, and another is admitted (entry
    // written) but not finished.
    harness.live.push(socketNamed('slow'), socketNamed('joined'));
    recorded.push(connection('joined', Date.now()), connection('admitting', Date.now()));
    harness.answerExists([true]);
    await pass;
    expect(harness.removed).toEqual(['gone']);
    expect(harness.rewritten).toEqual([]);
  });

  it('reconciles every chunk of the view: entries of no socket removed wherever they come, an entry seen twice kept, a connected socket without entry rewritten', async () => {
    const longAgo = Date.now() - 60_000;
    const recorded = ['a', 'gone-1', 'b', 'gone-2', 'c'].map((id) => connection(id, longAgo));
    const harness = recheckWith(recorded, (entries) => [entries.slice(0, 2), entries.slice(1, 4), entries.slice(4)]);
    harness.live.push(...['a', 'b', 'c', 'unrecorded'].map(socketNamed));
    const pass = harness.recheck.run();
    await harness.asked;
    // A socket that disconnected between the reconcile's steps: its removal is issued, its entry must not be rewritten.
    harness.live.push({ ...socketNamed('leaving'), connected: false } as WireSocket);
    harness.answerExists([true, true, true, true]);
    await pass;
    expect(new Set(harness.removed)).toEqual(new Set(['gone-1', 'gone-2']));
    expect(harness.rewritten).toEqual(['unrecorded']);
  });

  it('rewrites the entry of a connected socket that differs from what the socket would write now, and no current one', async () => {
    const longAgo = Date.now() - 60_000;
    const recorded = [connection('current', longAgo), connection('moved', longAgo), connection('renewed', longAgo)];
    const harness = recheckWith(recorded);
    harness.live.push(...['current', 'moved', 'renewed'].map(socketNamed));
    const now = new Map([
      ['moved', { ...recorded[1], transport: 'polling' as const }],
      ['renewed', { ...recorded[2], credentialExpiresAt: longAgo + 120_000 }],
    ]);
    harness.currentOf((socket) => now.get(socket.id));
    const pass = harness.recheck.run();
    await harness.asked;
    harness.answerExists([true, true, true]);
    await pass;
    expect(harness.removed).toEqual([]);
    expect(harness.rewritten.sort()).toEqual(['moved', 'renewed']);
  });
});

describe('SessionRecheck timer', () => {
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('waits 90–100% of the interval before each pass, at random, and no more once stopped', () => {
    jest.useFakeTimers();
    jest.spyOn(Math, 'random').mockReturnValueOnce(0).mockReturnValueOnce(0.9999).mockReturnValue(0.5);
    const { recheck } = recheckWith([]);
    const run = jest.spyOn(recheck, 'run').mockResolvedValue();
    recheck.start();
    jest.advanceTimersByTime(26_999);
    expect(run).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(29_990);
    expect(run).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10);
    expect(run).toHaveBeenCalledTimes(2);
    recheck.stop();
    jest.advanceTimersByTime(120_000);
    expect(run).toHaveBeenCalledTimes(2);
  });
});
