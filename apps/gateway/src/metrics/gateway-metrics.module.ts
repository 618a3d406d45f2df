import { Global, Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics';

/** The node's handshake and logout-propagation metrics, used by several features of the gateway. */
@Global()
@Module({ providers: [GatewayMetrics], exports: [GatewayMetrics] })
export class GatewayMetricsModule {}
