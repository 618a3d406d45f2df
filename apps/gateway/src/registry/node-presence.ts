import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConnectionRegistry } from '@app/registry';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { LocalSockets } from '../sockets/local-sockets';
import { RegistryWriter } from './registry-writer';

/**
 * The node's heartbeat and the sweep of dead nodes. A node killed without cleaning up stops refreshing its
 * heartbeat key; once its TTL passes, the next sweep (any node's) removes its entries. A node swept while
 * alive (paused, or cut from Redis for longer than the TTL) writes its live sockets back at its next
 * heartbeat. On a clean shutdown the node removes its own entries once its sockets are drained (`leave`).
 */
@Injectable()
export class NodePresence implements OnApplicationBootstrap {
  private readonly logger = new Logger(NodePresence.name);
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    private readonly registry: ConnectionRegistry,
    private readonly writer: RegistryWriter,
    private readonly sockets: LocalSockets,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { nodeId, presence } = this.config;
    // Entries left by an earlier process with this NODE_ID belong to sockets that no longer exist.
    const stale = await this.registry.clearNode(nodeId, { forget: false });
    if (stale > 0) this.logger.warn(`Removed ${stale} registry entries left by a previous run of ${nodeId}`);
    await this.registry.heartbeat(nodeId, presence.heartbeatTtlMs);
    this.every(presence.heartbeatIntervalMs, () => this.heartbeat(), 'heartbeat');
    this.every(presence.sweepIntervalMs, () => this.sweep(), 'sweep');
  }

  /** Stops the heartbeat and removes this node and its entries from the registry. */
  async leave(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.registry.clearNode(this.config.nodeId, { forget: true }).catch((error: Error) => {
      this.logger.warn(`Could not remove this node's registry entries; the sweep will: ${error.message}`);
    });
  }

  /**
   * The registry must not deny live sockets (the admin view and the per-user limit count them), so a node
   * that finds itself swept re-registers them now instead of at the next periodic re-check.
   */
  private async heartbeat(): Promise<void> {
    const { nodeId, presence } = this.config;
    if (!(await this.registry.heartbeat(nodeId, presence.heartbeatTtlMs))) return;
    const live = this.sockets.all().filter((socket) => socket.connected);
    await this.writer.addSockets(live);
    this.logger.warn(`${nodeId} had been swept as dead; registered its ${live.length} live sockets again`);
  }

  private async sweep(): Promise<void> {
    const dead = await this.registry.sweepDeadNodes();
    if (dead.length > 0) this.logger.warn(`Swept registry entries of dead nodes: ${dead.join(', ')}`);
  }

  private every(intervalMs: number, task: () => Promise<unknown>, name: string): void {
    const timer = setInterval(() => {
      task().catch((error: Error) => this.logger.warn(`${name} failed: ${error.message}`));
    }, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }
}
