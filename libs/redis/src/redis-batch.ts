import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import type { RedisClient } from './redis-client';
import { isCluster } from './redis-client';

/** One single-key command: its name, then its key, then its other arguments. */
export type BatchCommand = [command: string, key: string, ...args: Array<string | number>];

type BatchResult = [error: Error | null, reply: unknown];

/**
 * Runs independent single-key commands in one round trip per Redis node and returns their replies in order,
 * throwing the first error. Standalone: one pipeline. Cluster: a pipeline must stay on one node, so the
 * commands are grouped by the nodes serving their slots and the groups run in parallel. Not atomic.
 */
export async function execBatch(client: RedisClient, commands: readonly BatchCommand[]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  if (!isCluster(client)) return repliesOf(await client.pipeline(commands.map((command) => [...command])).exec());
  const results = await execPerNode(client, commands);
  const moved = results.flatMap(([error], index) => (error && /^MOVED /.test(error.message) ? [index] : []));
  if (moved.length > 0) {
    // After a failover the slot map is stale until something refreshes it. ioredis retries a pipeline only
    // when every command failed with the same MOVED, never a batch spanning slots. A MOVED command did not
    // run, so sending it again once, with the fresh map, is safe for writes too.
    await refreshSlots(client);
    const retried = await execPerNode(client, moved.map((index) => commands[index]));
    moved.forEach((index, position) => (results[index] = retried[position]));
  }
  return repliesOf(results);
}

async function execPerNode(client: Cluster, commands: readonly BatchCommand[]): Promise<BatchResult[]> {
  const groups = new Map<string, number[]>();
  commands.forEach(([, key], index) => {
    const slot = calculateSlot(key);
    // ioredis accepts a pipeline whose slots are all served by the same node set: group exactly that way.
    const group = client.slots[slot]?.join(';') ?? `slot:${slot}`;
    const members = groups.get(group);
    if (members) members.push(index);
    else groups.set(group, [index]);
  });
  const results = new Array<BatchResult>(commands.length);
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const groupResults = (await client.pipeline(indexes.map((index) => [...commands[index]])).exec()) ?? [];
      indexes.forEach((index, position) => (results[index] = groupResults[position] ?? [new Error('no reply in the pipeline result'), null]));
    }),
  );
  return results;
}

function refreshSlots(client: Cluster): Promise<void> {
  return new Promise((resolve, reject) => client.refreshSlotsCache((error) => (error ? reject(error) : resolve())));
}

function repliesOf(results: readonly BatchResult[] | null): unknown[] {
  return (results ?? []).map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
