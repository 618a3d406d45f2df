import calculateSlot from 'cluster-key-slot';
import type { RedisClient } from './redis-client';
import { isCluster } from './redis-client';

/** One single-key command: its name, then its key, then its other arguments. */
export type BatchCommand = [command: string, key: string, ...args: Array<string | number>];

/**
 * Runs independent single-key commands in one round trip per Redis node and returns their replies in order,
 * throwing the first error. Standalone: one pipeline. Cluster: a pipeline must stay on one node, so the
 * commands are grouped by the nodes serving their slots and the groups run in parallel. Not atomic.
 */
export async function execBatch(client: RedisClient, commands: readonly BatchCommand[]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  if (!isCluster(client)) return repliesOf(await client.pipeline(commands.map((command) => [...command])).exec());
  const groups = new Map<string, number[]>();
  commands.forEach(([, key], index) => {
    const slot = calculateSlot(key);
    // ioredis accepts a pipeline whose slots are all served by the same node set: group exactly that way.
    const group = client.slots[slot]?.join(';') ?? `slot:${slot}`;
    const members = groups.get(group);
    if (members) members.push(index);
    else groups.set(group, [index]);
  });
  const replies = new Array<unknown>(commands.length);
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const groupReplies = repliesOf(await client.pipeline(indexes.map((index) => [...commands[index]])).exec());
      indexes.forEach((index, position) => (replies[index] = groupReplies[position]));
    }),
  );
  return replies;
}

function repliesOf(results: Array<[error: Error | null, reply: unknown]> | null): unknown[] {
  return (results ?? []).map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}
