import { Module } from '@nestjs/common';
import { ForcedLogout } from './forced-logout';
import { LocalSockets } from './local-sockets';
import { SocketMetrics } from './socket-metrics';

/**
 * This node's sockets: the local index, their metrics, and the forced disconnect. A leaf: it imports no other
 * feature of the gateway, so every feature can depend on it.
 */
@Module({ providers: [LocalSockets, SocketMetrics, ForcedLogout], exports: [LocalSockets, ForcedLogout] })
export class SocketsModule {}
