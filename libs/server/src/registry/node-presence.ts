import type { ConnectionRegistry } from '@app/registry';
import type { LocalSockets } from '../sockets/local-sockets';
import type { SessionwireLogger } from '../config/logger';
import type { RegistryWriter } from './registry-writer';

/**
 * The node's heartbeat and the sweep of dead nodes. A node killed without cleaning up stops refreshing its
 * heartbeat key; once its TTL passes, the next sweep (any node's) removes its entries. A node swept while
 * alive (paused, or cut from Redis for longer than the TTL) writes its live sockets back at its next
 * heartbeat. On a clean shutdown the node removes its own entries once its sockets are drained (`leave`).
 */
export class NodePresence {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: { nodeId: string; presence: { heartbeatIntervalMs: number; heartbeatTtlMs: number; sweepIntervalMs: number } },
    private readonly registry: ConnectionRegistry,
    private readonly writer: RegistryWriter,
    private readonly sockets: LocalSockets,
    private readonly logger: SessionwireLogger,
  ) {}

  async start(): Promise<void> {
    const { nodeId, presence } = this.config;
    // Entries left by an earlier process with this node id belong to sockets that no longer exist.
    const stale = await this.registry.clearNode(nodeId, { forget: false });
    if (stale > 0) this.logger.warn(`Removed ${stale} registry entries left by a previous run of ${nodeId}`);
    await this.registry.heartbeat(nodeId, presence.heartbeatTtlMs);
    this.every(presence.heartbeatIntervalMs, () => this.heartbeat(), 'heartbeat');
    this.every(presence.sweepIntervalMs, () => this.sweep(), 'sweep');
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  /** Stops the heartbeat and removes this node and its entries from the registry. */
  async leave(): Promise<void> {
    this.stop();
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
