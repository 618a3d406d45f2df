import type { SessionwireLogger } from '../config/logger';
import { ForcedLogout } from './forced-logout';
import type { WireMetrics } from './metrics';
import type { WireSocket } from './socket-types';

describe('ForcedLogout', () => {
  it('ends every socket of a batch when one socket\'s disconnect throws, and logs it', () => {
    const ended: string[] = [];
    const errors: unknown[] = [];
    const counted: number[] = [];
    const socketNamed = (id: string, disconnectThrows = false) =>
      ({
        id,
        data: { sessionId: `session-${id}` },
        emit: () => true,
        disconnect: () => {
          if (disconnectThrows) throw new Error('a disconnect listener failed');
          ended.push(id);
        },
      }) as unknown as WireSocket;
    const logger: SessionwireLogger = { info: () => undefined, warn: () => undefined, error: (...args) => errors.push(args) };
    const metrics = { forcedDisconnect: (_reason: string, count: number) => counted.push(count) } as unknown as WireMetrics;

    const closed = new ForcedLogout(metrics, logger).end([socketNamed('a'), socketNamed('b', true), socketNamed('c')], 'logout');

    expect(ended).toEqual(['a', 'c']);
    expect(closed).toBe(3);
    expect(counted).toEqual([3]);
    expect(errors).toHaveLength(1);
  });
});
