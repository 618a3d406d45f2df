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
    // Made by the socket's first event: most sockets sit idle, and a full bucket is what a new one would hold.
    let bucket: { tokens: number; refilledAt: number; refused: number } | undefined;
    socket.use((packet: Event, next: (error?: Error) => void) => {
      const { perSecond, burst } = this.config.eventRate;
      const now = Date.now();
      bucket ??= { tokens: burst, refilledAt: now, refused: 0 };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * perSecond);
      bucket.refilledAt = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        bucket.refused = 0;
        return next();
      }
      const refused = ++bucket.refused;
      answerFailedEvent(socket, packet.at(-1), { code: 'RATE_LIMITED', message: `At most ${perSecond} events per second` });
      if (refused >= burst) {
        this.logger.warn({ msg: 'Disconnecting a flooding socket', socketId: socket.id, userId: socket.data.userId });
        socket.disconnect(true);
      }
    });
  }
}
