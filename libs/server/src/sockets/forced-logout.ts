import type { SocketEndReason } from '@app/contracts';
import type { SessionwireLogger } from '../config/logger';
import type { WireMetrics } from './metrics';
import type { WireSocket } from './socket-types';

/**
 * Tells each socket why its session ended, then disconnects it from the server side: the official client
 * does not auto-reconnect after a server disconnect. Socket.IO flushes the event before closing. A listener of the
 * app that throws while one socket disconnects is logged and the others are still ended: callers end whole batches
 * (a revocation, the sockets whose credentials expired at the same moment).
 */
export class ForcedLogout {
  constructor(
    private readonly metrics: WireMetrics,
    private readonly logger: SessionwireLogger,
  ) {}

  end(sockets: readonly WireSocket[], reason: SocketEndReason): number {
    for (const socket of sockets) {
      try {
        socket.emit('session:ended', { reason, sessionId: socket.data.sessionId });
        socket.disconnect(true);
      } catch (error) {
        this.logger.error({ socketId: socket.id, reason }, `Ending socket ${socket.id} threw (a disconnect listener?): ${(error as Error).message}`);
      }
    }
    this.metrics.forcedDisconnect(reason, sockets.length);
    return sockets.length;
  }
}
