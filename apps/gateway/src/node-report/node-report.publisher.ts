import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NodeReport } from '@app/contracts';
import { ConnectionRegistry } from '@app/registry';
import { Sessionwire } from '@sessionwire/nest';
import { Registry } from 'prom-client';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { histogramOf } from './histogram-of';

const LOGOUT_PROPAGATION = 'sessionwire_gateway_logout_propagation_seconds';

/**
 * Publishes, with the heartbeat's interval and TTL, what the registry does not know of this node (subscriber state,
 * draining) and its logout propagation histogram, for the auth service's `GET /admin/nodes`. Through Redis, so the
 * gateways' /metrics ports stay private and the console needs nothing but the auth service.
 */
@Injectable()
export class NodeReportPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(NodeReportPublisher.name);
  private timer?: NodeJS.Timeout;
  private shuttingDown = false;

  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    private readonly wire: Sessionwire,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: Registry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.publish();
    this.timer = setInterval(() => void this.publish(), this.config.sessionwire.presence.heartbeatIntervalSeconds * 1000);
  }

  /**
   * The drain starts now (Nest's order between this hook and the drain's is not fixed): say so at once, without
   * holding the shutdown up on a Redis that does not answer.
   */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
    void this.publish();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async publish(): Promise<void> {
    try {
      const { subscriber, draining } = this.wire.status();
      const metric = await this.metrics.getSingleMetric(LOGOUT_PROPAGATION)?.get();
      const report: NodeReport = {
        subscriber,
        draining: draining || this.shuttingDown,
        reportedAt: new Date().toISOString(),
        logoutPropagation: histogramOf(metric?.values ?? []),
      };
      await this.registry.publishReport(this.config.nodeId, report, this.config.sessionwire.presence.heartbeatTtlSeconds * 1000);
    } catch (error) {
      // Redis away: the report expires and the console shows the node without one, which is the truth.
      this.logger.warn(`Node report not published: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
