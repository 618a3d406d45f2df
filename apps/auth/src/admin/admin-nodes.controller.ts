import { Controller, Get, UseGuards } from '@nestjs/common';
import type { ClusterView } from '@app/contracts';
import { ConnectionRegistry } from '@app/registry';
import { AdminGuard, SessionAuthGuard } from '../auth/session-auth.guard';
import { clusterView } from './cluster-view';

@Controller('admin/nodes')
@UseGuards(SessionAuthGuard, AdminGuard)
export class AdminNodesController {
  constructor(private readonly registry: ConnectionRegistry) {}

  /**
   * Every gateway node of the registry with what it reports of itself beside its heartbeat (subscriber, draining), and
   * the live nodes' revoke→close latency histograms added up: the operator console's cluster view and latency chart.
   */
  @Get()
  async list(): Promise<ClusterView> {
    const counts = await this.registry.countsPerNode();
    return clusterView(counts, await this.registry.reportsOf(counts.map((node) => node.nodeId)));
  }
}
