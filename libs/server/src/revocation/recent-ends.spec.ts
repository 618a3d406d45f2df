import { createExternalUserLoggedOut, createUserLoggedOut } from '@app/contracts';
import { externalSessionId, externalUserId } from '@app/oidc';
import type { SessionStore } from '@app/sessions';
import type { ForcedLogout } from '../sockets/forced-logout';
import type { LocalSockets } from '../sockets/local-sockets';
import type { SessionwireLogger } from '../config/logger';
import type { WireSocket } from '../sockets/socket-types';
import { RecentEnds } from './recent-ends';

const USER = '5d1c0a4e-2f0b-4c55-9a4e-3a8f4f1d2b11';
const OTHER_USER = '8a9d3f2e-1b4c-4d6e-8f0a-2c3b4d5e6f70';

function socketOf(userId: string, sessionId: string, id = `socket-of-${sessionId}`, sessionStartedAt = 0): WireSocket {
  return { id, connected: true, data: { userId, sessionId, sessionStartedAt } } as unknown as WireSocket;
}

const ISSUER = 'https://idp.example.com';

describe('RecentEnds', () => {
  let ended: Array<{ socketId: string; reason: string }>;
  let existing: Set<string>;
  let connected: WireSocket[];
  let recent: RecentEnds;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    ended = [];
    existing = new Set();
    connected = [];
    const sessions = { whichExist: async (list: Array<{ sessionId: string }>) => list.map(({ sessionId }) => existing.has(sessionId)) } as unknown as SessionStore;
    const sockets = { byIds: (ids: string[]) => connected.filter((socket) => ids.includes(socket.id)) } as unknown as LocalSockets;
    const forcedLogout = { end: (list: WireSocket[], reason: string) => list.forEach((socket) => ended.push({ socketId: socket.id, reason })) } as unknown as ForcedLogout;
    const logger: SessionwireLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
    recent = new RecentEnds(sessions, sockets, forcedLogout, logger);
  });

  afterEach(() => jest.useRealTimers());

  it('ends a socket of a session a message named, and no other', async () => {
    recent.rememberSessionEnd(createUserLoggedOut(USER, ['sessionAAAAAAAAAAAAAAAAAAA'], 'logout'));
    await recent.endIfEnded(socketOf(USER, 'sessionAAAAAAAAAAAAAAAAAAA'));
    await recent.endIfEnded(socketOf(USER, 'sessionBBBBBBBBBBBBBBBBBBB'));
    await recent.endIfEnded(socketOf(OTHER_USER, 'sessionAAAAAAAAAAAAAAAAAAA'));
    expect(ended).toEqual([{ socketId: 'socket-of-sessionAAAAAAAAAAAAAAAAAAA', reason: 'logout' }]);
  });

  it('after an end of every session of the user, ends a socket only if Redis no longer has its session', async () => {
    existing.add('sessionNEWNEWNEWNEWNEWNEWN');
    recent.rememberSessionEnd(createUserLoggedOut(USER, null, 'logout_all'));
    await recent.endIfEnded(socketOf(USER, 'sessionOLDOLDOLDOLDOLDOLDO'));
    await recent.endIfEnded(socketOf(USER, 'sessionNEWNEWNEWNEWNEWNEWN'));
    expect(ended).toEqual([{ socketId: 'socket-of-sessionOLDOLDOLDOLDOLDOLDO', reason: 'logout_all' }]);
  });

  it('an eviction ends the evicted socket here at once, or when it connects here later', async () => {
    connected.push(socketOf(USER, 'sessionAAAAAAAAAAAAAAAAAAA', 'here'));
    recent.applyEviction([
      { socketId: 'here', sessionId: 'sessionAAAAAAAAAAAAAAAAAAA' },
      { socketId: 'still-being-admitted', sessionId: 'sessionAAAAAAAAAAAAAAAAAAA' },
    ]);
    expect(ended).toEqual([{ socketId: 'here', reason: 'evicted' }]);
    await recent.endIfEnded(socketOf(USER, 'sessionAAAAAAAAAAAAAAAAAAA', 'still-being-admitted'));
    await recent.endIfEnded(socketOf(USER, 'sessionAAAAAAAAAAAAAAAAAAA', 'someone-else'));
    expect(ended).toEqual([
      { socketId: 'here', reason: 'evicted' },
      { socketId: 'still-being-admitted', reason: 'evicted' },
    ]);
  });

  it('forgets after a minute', async () => {
    recent.rememberSessionEnd(createUserLoggedOut(USER, ['sessionAAAAAAAAAAAAAAAAAAA'], 'logout'));
    recent.applyEviction([{ socketId: 'late', sessionId: 'sessionAAAAAAAAAAAAAAAAAAA' }]);
    jest.advanceTimersByTime(60_001);
    await recent.endIfEnded(socketOf(USER, 'sessionAAAAAAAAAAAAAAAAAAA'));
    await recent.endIfEnded(socketOf(USER, 'sessionAAAAAAAAAAAAAAAAAAA', 'late'));
    expect(ended).toEqual([]);
  });

  it("an external provider's session end (v2) ends every socket of that session, whatever user the message names", async () => {
    const session = externalSessionId(ISSUER, 'provider-session');
    recent.rememberSessionEnd(createExternalUserLoggedOut(ISSUER, { subject: 'alice', providerSessionId: 'provider-session' }, 'provider_logout'));
    await recent.endIfEnded(socketOf(externalUserId(ISSUER, 'alice'), session, 'alice'));
    // A pairwise subject: the logout token's sub is not the access token's.
    await recent.endIfEnded(socketOf(externalUserId(ISSUER, 'alice-pairwise'), session, 'pairwise'));
    await recent.endIfEnded(socketOf(externalUserId(ISSUER, 'alice'), externalSessionId(ISSUER, 'another'), 'alice-elsewhere'));
    expect(ended).toEqual([
      { socketId: 'alice', reason: 'provider_logout' },
      { socketId: 'pairwise', reason: 'provider_logout' },
    ]);
  });

  it('an end of every session of an external user (v2 without sid) ends the sockets of sessions started at or before it', async () => {
    const userId = externalUserId(ISSUER, 'alice');
    const message = createExternalUserLoggedOut(ISSUER, { subject: 'alice', providerSessionId: null }, 'provider_logout');
    recent.rememberSessionEnd(message);
    await recent.endIfEnded(socketOf(userId, 'sessionAAAAAAAAAAAAAAAAAAA', 'before', message.at - 1000));
    await recent.endIfEnded(socketOf(userId, 'sessionBBBBBBBBBBBBBBBBBBB', 'at', message.at));
    await recent.endIfEnded(socketOf(userId, 'sessionCCCCCCCCCCCCCCCCCCC', 'after', message.at + 1));
    expect(ended).toEqual([
      { socketId: 'before', reason: 'provider_logout' },
      { socketId: 'at', reason: 'provider_logout' },
    ]);
  });
});
