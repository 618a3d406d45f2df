import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Sessionwire } from './sessionwire';

/**
 * The handle's part in the application's lifecycle. Bootstrap waits for the connections of the Socket.IO Redis
 * adapter (Nest creates the Socket.IO server synchronously, before this hook and before the first client is
 * accepted), so a node never takes sockets it could not broadcast to. On shutdown the sockets are drained while
 * the server still runs (`beforeApplicationShutdown`), and the handle is closed once Nest has closed the server.
 */
@Injectable()
export class SessionwireLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly pending: Array<Promise<unknown>> = [];

  // esbuild emits no decorator metadata: every constructor parameter names its token.
  constructor(@Inject(Sessionwire) private readonly wire: Sessionwire) {}

  /** Bootstrap waits for `connection` (the adapter's Redis connections). */
  waitFor(connection: Promise<unknown>): void {
    this.pending.push(connection);
  }

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.wire.drain();
  }

  onApplicationShutdown(): Promise<void> {
    return this.wire.close();
  }
}
