import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess } from './app-process';
import { freePort } from './free-port';
import { TEST_AUTH_ENV } from './auth-app';
import { startRedisCluster, type RedisClusterOptions, type RedisClusterServer } from './redis-cluster';
import { startRedisSentinel, type RedisSentinelServer } from './redis-sentinel';
import { startRedisServer, type RedisServer, type TestRedis } from './redis-server';

export interface GatewayNode {
  nodeId: string;
  url: string;
  process: AppProcess;
}

export interface Cluster<R extends TestRedis = RedisServer> {
  redis: R;
  authUrl: string;
  auth: AppProcess;
  gateways: GatewayNode[];
  /** The auth app's generated private key (PKCS#8 PEM), for tests that mint tokens it would accept. */
  signingKeyFile: string;
  /** The auth app's SIGNING_KEY_NEXT_FILE and SIGNING_KEY_PREVIOUS_FILE, empty at start (key rotation). */
  nextKeyFile: string;
  previousKeyFile: string;
  /**
   * Starts one more gateway (or restarts a stopped one under the same node id, on the same port);
   * `env` is merged over the cluster's gateway env for this node only.
   */
  startGateway(nodeId: string, env?: Record<string, string>): Promise<GatewayNode>;
  cleanup(): Promise<void>;
}

export type RedisTopologyOption = 'standalone' | 'sentinel' | 'cluster';

export interface ClusterOptions {
  gateways?: number;
  /**
   * The Redis the apps run against: one redis-server, a master and replica behind 3 sentinels, or a local
   * Redis Cluster (3 masters).
   * @default 'standalone'
   */
  redisTopology?: RedisTopologyOption;
  /** Shape of the Redis Cluster when `redisTopology` is `cluster` (e.g. replicas for failover tests). */
  redisCluster?: RedisClusterOptions;
  /** Env for every app (e.g. short heartbeat for sweep tests). */
  env?: Record<string, string>;
  gatewayEnv?: Record<string, string>;
  /** Env for the auth app only. */
  authEnv?: Record<string, string>;
  /**
   * Origins allowed besides `TEST_ORIGIN` (every app's ALLOWED_ORIGINS), e.g. nginx's (`edgeOrigin(port)`) for
   * pages served through it: the gateways refuse other Origins at the handshake, auth refuses them cookie writes.
   */
  allowedOrigins?: string[];
}

/** The origin test clients claim; allowed by the cluster's ALLOWED_ORIGINS. */
export const TEST_ORIGIN = 'http://app.test';

/**
 * A real cluster: redis-server, the auth app and N gateways, each its own OS process on ports the OS
 * handed out. One `cleanup()` stops everything.
 */
export async function startCluster(options?: ClusterOptions & { redisTopology?: 'standalone' }): Promise<Cluster>;
export async function startCluster(options: ClusterOptions & { redisTopology: 'sentinel' }): Promise<Cluster<RedisSentinelServer>>;
export async function startCluster(options: ClusterOptions & { redisTopology: 'cluster' }): Promise<Cluster<RedisClusterServer>>;
export async function startCluster(options: ClusterOptions): Promise<Cluster<TestRedis>>;
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster<TestRedis>> {
  const redis: TestRedis =
    options.redisTopology === 'cluster'
      ? await startRedisCluster(options.redisCluster)
      : options.redisTopology === 'sentinel'
        ? await startRedisSentinel()
        : await startRedisServer();
  const keysDir = await mkdtemp(join(tmpdir(), 'sessionwire-cluster-'));
  const shared = {
    ...redis.env,
    COOKIE_SECURE: 'false',
    LOG_LEVEL: 'info',
    ALLOWED_ORIGINS: [TEST_ORIGIN, ...(options.allowedOrigins ?? [])].join(','),
    ...options.env,
  };
  const processes: AppProcess[] = [];
  try {
    const authPort = await freePort();
    const signingKeyFile = join(keysDir, 'signing-key.pem');
    const nextKeyFile = join(keysDir, 'signing-key.next.pem');
    const previousKeyFile = join(keysDir, 'signing-key.previous.pem');
    for (const file of [nextKeyFile, previousKeyFile]) await writeFile(file, '');
    const auth = await AppProcess.start('auth', 'auth', {
      ...TEST_AUTH_ENV,
      ...shared,
      PORT: String(authPort),
      DEV_SIGNING_KEY_FILE: signingKeyFile,
      SIGNING_KEY_NEXT_FILE: nextKeyFile,
      SIGNING_KEY_PREVIOUS_FILE: previousKeyFile,
      ...options.authEnv,
    });
    processes.push(auth);
    const authUrl = `http://127.0.0.1:${authPort}`;
    const gatewayEnv = { ...shared, AUTH_JWKS_URL: `${authUrl}/.well-known/jwks.json`, ...options.gatewayEnv };
    const gatewayPorts = new Map<string, number>();

    const startGateway = async (nodeId: string, env: Record<string, string> = {}): Promise<GatewayNode> => {
      const port = gatewayPorts.get(nodeId) ?? (await freePort());
      gatewayPorts.set(nodeId, port);
      const gateway = await AppProcess.start(nodeId, 'gateway', { ...gatewayEnv, ...env, NODE_ID: nodeId, PORT: String(port) });
      processes.push(gateway);
      return { nodeId, url: `http://127.0.0.1:${port}`, process: gateway };
    };

    const gateways: GatewayNode[] = [];
    for (let index = 1; index <= (options.gateways ?? 3); index++) gateways.push(await startGateway(`gw-${index}`));

    return {
      redis,
      authUrl,
      auth,
      gateways,
      signingKeyFile,
      nextKeyFile,
      previousKeyFile,
      startGateway,
      cleanup: async () => {
        await Promise.all(processes.map((child) => child.stop('SIGKILL')));
        await redis.cleanup();
        await rm(keysDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(processes.map((child) => child.stop('SIGKILL')));
    await redis.cleanup();
    await rm(keysDir, { recursive: true, force: true });
    throw error;
  }
}
