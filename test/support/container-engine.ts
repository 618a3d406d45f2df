import type { EngineProbe } from './test-runtime';

/** The images the containers runtime runs: the ones docker-compose.yml and the Dockerfile's edge stage use. */
export const TEST_IMAGES = { redis: 'redis:7', nginx: 'nginx:1.27' } as const;

/** A DOCKER_HOST that accepts the connection and never answers must not hang the run. */
const ENGINE_PROBE_TIMEOUT_MS = 10_000;

/**
 * Asks testcontainers for an engine, with its own discovery (DOCKER_HOST, ~/.testcontainers.properties, the
 * Docker socket, rootless sockets). testcontainers is loaded here, not at the top, so that runs which never
 * probe (`local`) do not pay for loading it.
 */
export async function probeContainerEngine(): Promise<EngineProbe> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ENGINE_PROBE_TIMEOUT_MS / 1000} s`)), ENGINE_PROBE_TIMEOUT_MS);
  });
  try {
    const { info } = await Promise.race([getContainerRuntimeClient(), timeout]);
    const runtime = info.containerRuntime;
    return {
      state: 'reachable',
      engine: `${runtime.operatingSystem} (engine ${runtime.serverVersion}) at ${runtime.host}`,
      // Docker Desktop and remote or in-container engines run the containers in another network namespace,
      // whose 127.0.0.1 is not ours (testcontainers resolves `host` to a gateway address inside a container).
      sharesHostNetwork:
        process.platform === 'linux' &&
        runtime.operatingSystemType === 'linux' &&
        !runtime.operatingSystem.includes('Docker Desktop') &&
        ['localhost', '127.0.0.1', '::1'].includes(runtime.host),
    };
  } catch (error) {
    return { state: 'unreachable', reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Pulls the images a container run needs that the engine lacks, once, before the first suite's hooks are timed. */
export async function pullTestImages(): Promise<void> {
  const { getContainerRuntimeClient, ImageName } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  // pull() skips an image the engine has.
  for (const image of Object.values(TEST_IMAGES)) await client.image.pull(ImageName.fromString(image));
}
