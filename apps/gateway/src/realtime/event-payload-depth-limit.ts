import { Injectable, Logger } from '@nestjs/common';
import { MAX_PAYLOAD_DEPTH } from '@app/contracts';
import type { Event } from 'socket.io';
import type { GatewaySocket } from '../sockets/socket-types';
import { nestsDeeperThan } from './nesting-depth';
import { answerFailedEvent } from './ws-ack-exception.filter';

/**
 * Refuses any event whose arguments nest deeper than `MAX_PAYLOAD_DEPTH`, before a guard, pipe or handler sees
 * them: recursive code downstream (zod's JSON schema, JSON.stringify, Socket.IO's encoder) overflows the stack
 * on a few thousand levels, and that many fit in one message. The client gets `INVALID_INPUT`; the log gets one
 * warning line, with no stack trace.
 */
@Injectable()
export class EventPayloadDepthLimit {
  private readonly logger = new Logger(EventPayloadDepthLimit.name);

  /** Installs the limit as the socket's packet middleware. */
  limit(socket: GatewaySocket): void {
    socket.use(([event, ...args]: Event, next: (error?: Error) => void) => {
      const ack: unknown = args.at(-1);
      const payload = typeof ack === 'function' ? args.slice(0, -1) : args;
      if (!payload.some((argument) => nestsDeeperThan(argument, MAX_PAYLOAD_DEPTH))) return next();
      this.logger.warn({ msg: 'Refused an event nested too deeply', event, socketId: socket.id, userId: socket.data.userId, maxDepth: MAX_PAYLOAD_DEPTH });
      answerFailedEvent(socket, ack, { code: 'INVALID_INPUT', message: `Payloads may nest at most ${MAX_PAYLOAD_DEPTH} levels of arrays and objects` });
    });
  }
}
