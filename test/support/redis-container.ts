import { TEST_IMAGES } from './container-engine';
import { freePort } from './free-port';
import type { RedisServer } from './redis-server';
import { standaloneRedis } from './standalone-redis';

const READY_TEXT = 'Ready to accept connections';

/** As long as `docker stop` lets redis-server write its AOF before it kills it. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * redis-server in a container, with the same interface and behaviour as the local one (`startRedisServer` picks
 * it under the containers runtime). It shares the host's network, so it listens on 127.0.0.1 at a port picked
 * here, as the local one does, and keeps that port over a stop and start. `stop`/`start` are `docker stop` and
 * `docker start` of the same container, whose filesystem keeps the AOF; freezing is `docker pause`, the cgroup
 * freezer: like SIGSTOP, the connections stay open and nothing answers.
 * `args`: the local server's arguments (bind address, persistence), to which the port and data directory are added.
 */
export async function startRedisContainer(args: readonly string[]): Promise<RedisServer> {
  // Loaded here, not at the top: local runs never pay for loading testcontainers.
  const { BoundPorts, GenericContainer, getContainerRuntimeClient, Wait, waitForContainer } = await import('testcontainers');
  const port = await freePort();
  const started = await new GenericContainer(TEST_IMAGES.redis)
    .withNetworkMode('host')
    .withCommand(['redis-server', ...args, '--port', String(port), '--dir', '/data'])
    .withWaitStrategy(Wait.forLogMessage(READY_TEXT))
    .start();
  const engine = await getContainerRuntimeClient();
  const container = engine.container.getById(started.getId());
  // The log keeps every start's lines: the n-th start is ready at the n-th "Ready" line.
  let starts = 1;
  let running = true;

  const start = async (): Promise<void> => {
    await engine.container.start(container);
    starts += 1;
    await waitForContainer(engine, container, Wait.forLogMessage(READY_TEXT, starts), new BoundPorts());
    running = true;
  };

  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await engine.container.stop(container, { timeout: STOP_TIMEOUT_MS });
  };

  return standaloneRedis(port, {
    start,
    stop,
    signal: async (signal) => {
      if (!running) throw new Error('the Redis container is not running');
      await (signal === 'SIGSTOP' ? container.pause() : container.unpause());
    },
    // Stops and removes the container with its data.
    cleanup: async () => {
      await started.stop();
    },
  });
}
