import { EventEmitter } from 'node:events';
import { nginxArgs } from '../../scripts/lib/nginx.mjs';
import { TEST_IMAGES } from './container-engine';
import type { NginxMaster } from './nginx';

/**
 * nginx in a container, on the configuration `startNginx` rendered into `prefix`. It shares the host's network,
 * so the rendered addresses hold unchanged: it listens on 127.0.0.1 and proxies to the apps on 127.0.0.1, and
 * the apps and the tests see the same client addresses as with a local nginx. The prefix is mounted read-write
 * at the same path (logs and temp files land where the local nginx writes them), `readOnlyPaths` (demo and vendor
 * roots, certificate and key) read-only at theirs; it runs as this user, so every file it writes stays removable.
 */
export async function startNginxContainer(prefix: string, readOnlyPaths: readonly string[]): Promise<NginxMaster> {
  // Loaded here, not at the top: local runs never pay for loading testcontainers.
  const { GenericContainer, getContainerRuntimeClient } = await import('testcontainers');
  const started = await new GenericContainer(TEST_IMAGES.nginx)
    .withNetworkMode('host')
    .withUser(`${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`)
    .withBindMounts([{ source: prefix, target: prefix, mode: 'rw' }, ...readOnlyPaths.map((path) => ({ source: path, target: path, mode: 'ro' as const }))])
    // nginx itself, not the image's entrypoint scripts: they rewrite /etc/nginx, which this config never reads.
    .withEntrypoint(['nginx'])
    .withCommand([...nginxArgs(prefix), '-g', 'daemon off;'])
    .start();
  const engine = await getContainerRuntimeClient();
  const container = engine.container.getById(started.getId());
  const events = new EventEmitter();
  let exited = false;
  // Losing the engine's answer counts as an exit too: nothing more can be learnt about this nginx.
  const exit = container.wait().then(
    ({ StatusCode }: { StatusCode: number }) => {
      exited = true;
      events.emit('exit', StatusCode, null);
    },
    (error: Error) => {
      exited = true;
      events.emit('exit', null, `no answer from the engine: ${error.message}`);
    },
  );
  return {
    events,
    stop: async () => {
      // A fast shutdown, as the local nginx gets (the image's stop signal, SIGQUIT, waits for open WebSockets).
      // 409: it ended meanwhile.
      if (!exited) {
        await container.kill({ signal: 'SIGTERM' }).catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 409) throw error;
        });
      }
      await exit;
      // Removes the stopped container.
      await started.stop();
    },
  };
}
