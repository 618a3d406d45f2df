import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Event } from 'socket.io';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import type { GatewaySocket } from '../sockets/socket-types';
import { answerFailedEvent } from './ws-ack-exception.filter';

/**
 * A token bucket per socket. An event over the rate is refused with `RATE_LIMITED` (through its ack, or an
 * `exception` event without one, as `answerFailedEvent` answers every failed event); a socket that keeps sending
 * after a whole burst was refused is disconnected.
 */
@Injectable()
export class EventRateLimiter {
  private readonly logger = new Logger(EventRateLimiter.name);

  constructor(@Inject(gatewayConfig.KEY) private readonly config: GatewayConfig) {}

  /** Installs the limiter as the socket's packet middleware. */
  limit(socket: GatewaySocket): void {
    const { perSecond, burst } = this.config.eventRate;
    let tokens = burst;
    let refilledAt = Date.now();
    let refused = 0;
    socket.use((packet: Event, next: (error?: Error) => void) => {
      const now = Date.now();
      tokens = Math.min(burst, tokens + ((now - refilledAt) / 1000) * perSecond);
      refilledAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        refused = 0;
        return next();
      }
      refused += 1;
      answerFailedEvent(socket, packet.at(-1), { code: 'RATE_LIMITED', message: `At most ${perSecond} events per second` });
      if (refused >= burst) {
        this.logger.warn({ msg: 'Disconnecting a flooding socket', socketId: socket.id, userId: socket.data.userId });
        socket.disconnect(true);
      }
    });
  }
}
