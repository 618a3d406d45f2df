import { Injectable } from '@nestjs/common';
import { ConnectionRegistry } from '@app/registry';
import { Gauge, Registry } from 'prom-client';

/**
 * `sessionwire_registry_nodes{state}`: the gateway nodes the shared registry lists, `alive` (heartbeat key present)
 * or `stale` (heartbeat expired, entries not swept yet), read from Redis at each scrape. Scraped here, on the one
 * auth service, so a gateway that answers its own scrape but no longer heartbeats still shows.
 */
@Injectable()
export class RegistryNodeMetrics {
  constructor(registry: Registry, connections: ConnectionRegistry) {
    new Gauge({
      name: 'sessionwire_registry_nodes',
      help: 'Gateway nodes in the shared registry by state: alive (heartbeating) or stale (heartbeat expired, not swept yet)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        this.reset();
        // Without Redis the series are absent, not stale, and the rest of the scrape still answers.
        const nodes = await connections.countsPerNode().catch(() => undefined);
        if (!nodes) return;
        const alive = nodes.filter((node) => node.alive).length;
        this.set({ state: 'alive' }, alive);
        this.set({ state: 'stale' }, nodes.length - alive);
      },
    });
  }
}
