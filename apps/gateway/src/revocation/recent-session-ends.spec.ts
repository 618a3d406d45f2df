import { createUserLoggedOut } from '@app/contracts';
import type { SessionStore } from '@app/sessions';
import type { GatewaySocket } from '../realtime/socket-types';
import type { ForcedLogout } from './forced-logout';
import { RecentSessionEnds } from './recent-session-ends';

const USER = '5d1c0a4e-2f0b-4c55-9a4e-3a8f4f1d2b11';
const OTHER_USER = '8a9d3f2e-1b4c-4d6e-8f0a-2c3b4d5e6f70';

function socketOf(userId: string, sessionId: string): GatewaySocket {
  return { id: `socket-of-${sessionId}`, connected: true, data: { userId, sessionId } } as unknown as GatewaySocket;
}

describe('RecentSessionEnds', () => {
  let ended: Array<{ socketId: string; reason: string }>;
  let existing: Set<string>;
  let recent: RecentSessionEnds;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    ended = [];
    existing = new Set();
    const sessions = { whichExist: async (list: Array<{ sessionId: string }>) => list.map(({ sessionId }) => existing.has(sessionId)) } as unknown as SessionStore;
    const forcedLogout = { end: (sockets: GatewaySocket[], reason: string) => sockets.forEach((socket) => ended.push({ socketId: socket.id, reason })) } as unknown as ForcedLogout;
    recent = new RecentSessionEnds(sessions, forcedLogout);
  });

  afterEach(() => jest.useRealTimers());

  it('ends a socket of a session the message named, and no other', async () => {
    recent.remember(createUserLoggedOut(USER, ['sessionAAAAAAAAAAAAAAAAAAA'], 'logout'));
    await recent.endIfEnded(socketOf(USER, 'sessionAAAAAAAAAAAAAAAAAAA'));
    await recent.endIfEnded(socketOf(USER, 'sessionBBBBBBBBBBBBBBBBBBB'));
    await recent.endIfEnded(socketOf(OTHER_USER, 'sessionAAAAAAAAAAAAAAAAAAA'));
    expect(ended).toEqual([{ socketId: 'socket-of-sessionAAAAAAAAAAAAAAAAAAA', reason: 'logout' }]);
  });

  it('after an end of every session of the user, ends a socket only if Redis no longer has its session', async () => {
    existing.add('sessionNEWNEWNEWNEWNEWNEWN');
    recent.remember(createUserLoggedOut(USER, null, 'logout_all'));
    await recent.endIfEnded(socketOf(USER, 'sessionOLDOLDOLDOLDOLDOLDO'));
    await recent.endIfEnded(socketOf(USER, 'sessionNEWNEWNEWNEWNEWNEWN'));
    expect(ended).toEqual([{ socketId: 'socket-of-sessionOLDOLDOLDOLDOLDOLDO', reason: 'logout_all' }]);
  });

  it('forgets a message after a minute', async () => {
    recent.remember(createUserLoggedOut(USER, ['sessionAAAAAAAAAAAAAAAAAAA'], 'logout'));
    jest.advanceTimersByTime(60_001);
    recent.remember(createUserLoggedOut(OTHER_USER, ['sessionCCCCCCCCCCCCCCCCCCC'], 'logout'));
    await recent.endIfEnded(socketOf(USER, 'sessionAAAAAAAAAAAAAAAAAAA'));
    expect(ended).toEqual([]);
  });
});
