// Publish → subscriber latency on a Redis Cluster: classic PUBLISH (copied to every node over the cluster bus)
// against sharded SPUBLISH (kept on the shard owning the channel's slot), as the gateways would receive
// `user-logged-out`. Usage: REDIS_CLUSTER_NODES=127.0.0.1:7000 node scripts/redis-pubsub-latency.mjs [messages]
import { performance } from 'node:perf_hooks';
import { Cluster } from 'ioredis';

const seeds = (process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7000').split(',').map((node) => {
  const [host, port] = node.split(':');
  return { host, port: Number(port) };
});
const messages = Number(process.argv[2] ?? 2000);
// Sharded variant: one channel per bucket of users, spread over the slots; a gateway subscribes to all.
const buckets = Array.from({ length: 16 }, (_, bucket) => `user-logged-out:{${bucket}}`);

function percentiles(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(3);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted.at(-1).toFixed(3)} ms`;
}

/** Pub/sub messages the nodes sent each other over the cluster bus, summed over the masters. */
async function busMessages(client) {
  let total = 0;
  for (const node of client.nodes('master')) {
    const info = await node.call('CLUSTER', 'INFO');
    for (const field of ['cluster_stats_messages_publish_sent', 'cluster_stats_messages_publishshard_sent']) {
      total += Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? 0);
    }
  }
  return total;
}

async function measure(name, subscriber, subscribe, event, publish) {
  await subscribe();
  const publisher = new Cluster(seeds);
  await publisher.ping();
  const busBefore = await busMessages(publisher);
  const latencies = [];
  for (let i = 0; i < messages; i++) {
    const received = new Promise((resolve) => subscriber.once(event, resolve));
    const started = performance.now();
    await publish(publisher, i, JSON.stringify({ v: 1, id: String(i), userId: `user-${i}`, at: Date.now() }));
    await received;
    latencies.push(performance.now() - started);
  }
  const burstStarted = performance.now();
  let pending = messages;
  const drained = new Promise((resolve) => subscriber.on(event, () => --pending === 0 && resolve()));
  await Promise.all(Array.from({ length: messages }, (_, i) => publish(publisher, i, JSON.stringify({ v: 1, id: String(i) }))));
  await drained;
  const burstMs = performance.now() - burstStarted;
  const bus = (await busMessages(publisher)) - busBefore;
  console.log(
    `${name}: one at a time ${percentiles(latencies)}; burst of ${messages}: ${burstMs.toFixed(0)} ms (${Math.round(messages / (burstMs / 1000))}/s); ` +
      `cluster-bus messages per publish: ${(bus / (2 * messages)).toFixed(2)}`,
  );
  publisher.disconnect();
  subscriber.disconnect();
}

const classic = new Cluster(seeds);
await measure('PUBLISH  ', classic, () => classic.subscribe('user-logged-out'), 'message', (client, _i, payload) => client.publish('user-logged-out', payload));
const sharded = new Cluster(seeds, { shardedSubscribers: true });
await measure(
  'SPUBLISH ',
  sharded,
  async () => {
    for (const channel of buckets) await sharded.ssubscribe(channel);
  },
  'smessage',
  (client, i, payload) => client.spublish(buckets[i % buckets.length], payload),
);
