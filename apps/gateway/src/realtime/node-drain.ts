import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { gatewayConfig, type GatewayConfig } from '../config/gateway.config';
import { NodePresence } from '../registry/node-presence';
import { LocalSockets } from '../sockets/local-sockets';

/** Time between two batches of closes during a drain. */
const BATCH_INTERVAL_MS = 100;

/**
 * Graceful shutdown (SIGTERM), in the spirit of Phoenix's drainer: stop accepting connections, tell every
 * client `server:draining`, close the connections in batches spread over the drain window (the clients
 * reconnect to the other nodes without a stampede), then remove this node from the registry.
 * Connections are closed at the transport level, so the official client reconnects by itself.
 * The HTTP listener stays open meanwhile, so `/health/*` and `/metrics` keep answering: new Socket.IO
 * connections are cut by the adapter instead (`GatewayIoAdapter`), and `/health/ready` answers 503.
 */
@Injectable()
export class NodeDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(NodeDrain.name);
  private drainingSince?: number;

  constructor(
    @Inject(gatewayConfig.KEY) private readonly config: GatewayConfig,
    private readonly sockets: LocalSockets,
    private readonly presence: NodePresence,
  ) {}

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.drainingSince = Date.now();
    const sockets = this.sockets.all();
    this.logger.log(`Draining ${sockets.length} sockets over ${this.config.drainWindowMs} ms`);
    for (const socket of sockets) socket.emit('server:draining', { reconnect: true });
    const batches = Math.max(1, Math.floor(this.config.drainWindowMs / BATCH_INTERVAL_MS));
    const perBatch = Math.ceil(sockets.length / batches);
    for (let start = 0; start < sockets.length; start += perBatch) {
      if (start > 0) await new Promise((resolve) => setTimeout(resolve, BATCH_INTERVAL_MS));
      for (const socket of sockets.slice(start, start + perBatch)) socket.conn.close();
    }
    await this.presence.leave();
    this.logger.log(`Drained in ${Date.now() - this.drainingSince} ms`);
  }
}
