import type { SocketEndReason } from '@app/contracts';
import type { WireMetrics } from './metrics';
import type { WireSocket } from './socket-types';

/**
 * Tells each socket why its session ended, then disconnects it from the server side: the official client
 * does not auto-reconnect after a server disconnect. Socket.IO flushes the event before closing.
 */
export class ForcedLogout {
  constructor(private readonly metrics: WireMetrics) {}

  end(sockets: readonly WireSocket[], reason: SocketEndReason): number {
    for (const socket of sockets) {
      socket.emit('session:ended', { reason, sessionId: socket.data.sessionId });
      socket.disconnect(true);
    }
    this.metrics.forcedDisconnect(reason, sockets.length);
    return sockets.length;
  }
}
