import type { LocalSockets } from '../sockets/local-sockets';
import type { SessionwireLogger } from '../config/logger';
import type { NodePresence } from '../registry/node-presence';

/** Time between two batches of closes during a drain. */
const BATCH_INTERVAL_MS = 100;

/**
 * Graceful shutdown, in the spirit of Phoenix's drainer: stop accepting connections, tell every client
 * `server:draining`, close the connections in batches spread over the drain window (the clients reconnect to the
 * other nodes without a stampede), then remove this node from the registry. Connections are closed at the
 * transport level, so the official client reconnects by itself. The HTTP listener stays open meanwhile (the app's
 * health and metrics routes keep answering): new Socket.IO connections are cut by `allowRequest` instead.
 */
export class NodeDrain {
  private drainingSince?: number;
  private drained?: Promise<void>;

  constructor(
    private readonly config: { drainWindowMs: number },
    private readonly sockets: LocalSockets,
    private readonly presence: NodePresence,
    private readonly logger: SessionwireLogger,
  ) {}

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Drains once; later calls wait for the same drain. */
  drain(): Promise<void> {
    this.drained ??= this.run();
    return this.drained;
  }

  private async run(): Promise<void> {
    const since = Date.now();
    this.drainingSince = since;
    const sockets = this.sockets.all();
    this.logger.info(`Draining ${sockets.length} sockets over ${this.config.drainWindowMs} ms`);
    for (const socket of sockets) socket.emit('server:draining', { reconnect: true });
    const batches = Math.max(1, Math.floor(this.config.drainWindowMs / BATCH_INTERVAL_MS));
    const perBatch = Math.ceil(sockets.length / batches);
    for (let start = 0; start < sockets.length; start += perBatch) {
      if (start > 0) await new Promise((resolve) => setTimeout(resolve, BATCH_INTERVAL_MS));
      for (const socket of sockets.slice(start, start + perBatch)) socket.conn.close();
    }
    await this.presence.leave();
    this.logger.info(`Drained in ${Date.now() - since} ms`);
  }
}
