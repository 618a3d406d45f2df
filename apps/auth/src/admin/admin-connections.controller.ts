import { Controller, Get, UseGuards } from '@nestjs/common';
import type { ConnectionCounts } from '@app/contracts';
import { ConnectionRegistry } from '@app/registry';
import { AdminGuard, SessionAuthGuard } from '../auth/session-auth.guard';

@Controller('admin/connections')
@UseGuards(SessionAuthGuard, AdminGuard)
export class AdminConnectionsController {
  constructor(private readonly registry: ConnectionRegistry) {}

  /** Live sockets per gateway node (a node whose heartbeat expired shows `alive: false` until swept). */
  @Get('count')
  async count(): Promise<ConnectionCounts> {
    const nodes = await this.registry.countsPerNode();
    return { total: nodes.reduce((sum, node) => sum + node.connections, 0), nodes };
  }
}
