import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { GatewaySocket } from '../sockets/socket-types';

/** Per-event authorization: only sockets of admin sessions may emit the guarded events. */
@Injectable()
export class AdminEventGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const socket = context.switchToWs().getClient<GatewaySocket>();
    if (!socket.data.roles.includes('admin')) throw new WsException({ code: 'FORBIDDEN', message: 'Admin role required' });
    return true;
  }
}
