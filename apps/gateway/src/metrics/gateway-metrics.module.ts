import { Global, Module } from '@nestjs/common';
import { LocalSockets } from '../realtime/local-sockets';
import { GatewayMetrics } from './gateway-metrics';

/** The node's metrics and its local socket index, used by every feature of the gateway. */
@Global()
@Module({ providers: [GatewayMetrics, LocalSockets], exports: [GatewayMetrics, LocalSockets] })
export class GatewayMetricsModule {}
