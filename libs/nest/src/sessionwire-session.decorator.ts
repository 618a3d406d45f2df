import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionwireSocketData } from '@sessionwire/server';
import type { Socket } from 'socket.io';

/**
 * The session of the socket that sent the event (its `socket.data`, proven at the handshake):
 * `@SubscribeMessage('hello') hello(@SessionwireSession() session: SessionwireSocketData)`.
 */
export const SessionwireSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SessionwireSocketData => context.switchToWs().getClient<Socket<never, never, never, SessionwireSocketData>>().data,
);
