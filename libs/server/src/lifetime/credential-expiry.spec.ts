import type { ForcedLogout } from '../sockets/forced-logout';
import type { WireSocket } from '../sockets/socket-types';
import { CredentialExpiry } from './credential-expiry';

const WARNING_MS = 2_000;
const START = 1_000_000;

interface Seen {
  event: 'auth:expiring' | 'ended';
  socketId: string;
  at: number;
  exp?: number;
}

describe('CredentialExpiry', () => {
  let seen: Seen[];
  let expiry: CredentialExpiry;
  /** Sockets whose end throws, as an app's disconnect listener might. */
  let throwingEnd: Set<string>;

  function socketExpiringAt(id: string, credentialExpiresAt: number): WireSocket {
    const socket = {
      id,
      connected: true,
      data: { credentialExpiresAt },
      emit: (event: 'auth:expiring', payload: { exp: number }) => seen.push({ event, socketId: id, at: Date.now(), exp: payload.exp }),
    };
    return socket as unknown as WireSocket;
  }

  beforeEach(() => {
    jest.useFakeTimers({ now: START });
    seen = [];
    throwingEnd = new Set();
    const forcedLogout = {
      end: (sockets: readonly WireSocket[], reason: string) => {
        expect(reason).toBe('expired');
        for (const socket of sockets) {
          if (throwingEnd.has(socket.id)) throw new Error(`end of ${socket.id} threw`);
          seen.push({ event: 'ended', socketId: socket.id, at: Date.now() });
          // As the disconnect listener does.
          expiry.forget(socket);
        }
        return sockets.length;
      },
    } as unknown as ForcedLogout;
    expiry = new CredentialExpiry({ expiryWarningMs: WARNING_MS }, forcedLogout);
  });

  afterEach(() => {
    expiry.clear();
    jest.useRealTimers();
  });

  it('warns each of many sockets at its own warning time and ends it at its own expiry, in deadline order', () => {
    // Expiries out of order, two equal ones, and one already inside the warning window.
    const offsets = [9_000, 3_000, 7_000, 3_000, 12_000, 1_000, 5_500];
    const sockets = offsets.map((offset, index) => socketExpiringAt(`s${index}`, START + offset));
    for (const socket of sockets) expiry.watch(socket);

    jest.advanceTimersByTime(20_000);

    for (const [index, offset] of offsets.entries()) {
      const events = seen.filter((entry) => entry.socketId === `s${index}`);
      expect(events).toEqual([
        { event: 'auth:expiring', socketId: `s${index}`, at: START + Math.max(0, offset - WARNING_MS), exp: Math.floor((START + offset) / 1000) },
        { event: 'ended', socketId: `s${index}`, at: START + offset },
      ]);
    }
    const times = seen.map((entry) => entry.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('does not warn or end a forgotten socket, and keeps the others on time', () => {
    const gone = socketExpiringAt('gone', START + 4_000);
    const stays = socketExpiringAt('stays', START + 6_000);
    expiry.watch(gone);
    expiry.watch(stays);
    jest.advanceTimersByTime(1_000);
    expiry.forget(gone);

    jest.advanceTimersByTime(10_000);

    expect(seen.map(({ event, socketId, at }) => [event, socketId, at - START])).toEqual([
      ['auth:expiring', 'stays', 4_000],
      ['ended', 'stays', 6_000],
    ]);
  });

  it('moves a socket to its new expiry when a refreshed credential is watched again, later or earlier', () => {
    const later = socketExpiringAt('later', START + 5_000);
    const earlier = socketExpiringAt('earlier', START + 20_000);
    expiry.watch(later);
    expiry.watch(earlier);

    // Warned at 3 s, refreshed at 4 s to a credential that expires at 15 s.
    jest.advanceTimersByTime(4_000);
    later.data.credentialExpiresAt = START + 15_000;
    expiry.watch(later);
    // A refresh may also bring an earlier expiry (a shorter-lived token).
    earlier.data.credentialExpiresAt = START + 8_000;
    expiry.watch(earlier);

    jest.advanceTimersByTime(30_000);

    expect(seen.map(({ event, socketId, at }) => [event, socketId, at - START])).toEqual([
      ['auth:expiring', 'later', 3_000],
      ['auth:expiring', 'earlier', 6_000],
      ['ended', 'earlier', 8_000],
      ['auth:expiring', 'later', 13_000],
      ['ended', 'later', 15_000],
    ]);
  });

  it('warns, then ends on the next turn (never synchronously) a socket whose credential has already expired', () => {
    const socket = socketExpiringAt('late', START - 1_000);
    expiry.watch(socket);
    expect(seen).toEqual([]);

    jest.advanceTimersByTime(0);

    expect(seen.map(({ event }) => event)).toEqual(['auth:expiring', 'ended']);
  });

  it('waits past the longest timer delay for a far expiry', () => {
    const far = START + 2 ** 31 + 5_000;
    expiry.watch(socketExpiringAt('far', far));

    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(seen).toEqual([]);
    jest.advanceTimersByTime(far - START);

    expect(seen.map(({ event, at }) => [event, at])).toEqual([
      ['auth:expiring', far - WARNING_MS],
      ['ended', far],
    ]);
  });

  it('keeps the later deadlines when ending a batch throws', () => {
    throwingEnd.add('throws');
    expiry.watch(socketExpiringAt('throws', START + 3_000));
    expiry.watch(socketExpiringAt('later', START + 6_000));

    expect(() => jest.advanceTimersByTime(3_000)).toThrow('end of throws threw');
    jest.advanceTimersByTime(10_000);

    expect(seen.filter(({ socketId }) => socketId === 'later').map(({ event, at }) => [event, at - START])).toEqual([
      ['auth:expiring', 4_000],
      ['ended', 6_000],
    ]);
  });

  it('never re-arms a socket that disconnected (a refresh finishing after the disconnect)', () => {
    const socket = socketExpiringAt('refreshing', START + 3_000);
    expiry.watch(socket);
    (socket as { connected: boolean }).connected = false;
    socket.data.credentialExpiresAt = START + 60_000;
    expiry.watch(socket);

    jest.advanceTimersByTime(120_000);

    expect(seen).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('treats an expiry that is not a number as past, without stalling the others', () => {
    expiry.watch(socketExpiringAt('nan', Number.NaN));
    expiry.watch(socketExpiringAt('fine', START + 3_000));

    jest.advanceTimersByTime(5_000);

    expect(seen.map(({ event, socketId, at }) => [event, socketId, at - START])).toEqual([
      ['auth:expiring', 'nan', 0],
      ['ended', 'nan', 0],
      ['auth:expiring', 'fine', 1_000],
      ['ended', 'fine', 3_000],
    ]);
  });

  it('clear() stops every pending warning and expiry', () => {
    expiry.watch(socketExpiringAt('a', START + 3_000));
    expiry.watch(socketExpiringAt('b', START + 5_000));
    expiry.clear();

    jest.advanceTimersByTime(10_000);

    expect(seen).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
