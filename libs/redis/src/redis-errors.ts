/** Connection-level failures ioredis reports as plain `Error`s, by message. */
const UNAVAILABLE_MESSAGES = [
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Command timed out',
  'connect ETIMEDOUT',
];
const UNAVAILABLE_SYSCALL_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
/** Server replies meaning "try again later" (loading the dataset, failover in progress, read-only replica). */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY) /;

/** True when `error` means Redis cannot serve right now: callers answer 503 instead of 500. */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return true;
  if (UNAVAILABLE_MESSAGES.includes(error.message)) return true;
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && UNAVAILABLE_SYSCALL_CODES.has(code)) return true;
  return error.name === 'ReplyError' && UNAVAILABLE_REPLY.test(error.message);
}

/** Thrown at boot when Redis cannot be reached in time. */
export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';

  constructor(address: string, waitedMs: number, cause: unknown) {
    super(
      `${address} did not answer within ${waitedMs} ms (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'Start redis-server or point REDIS_URL (REDIS_CLUSTER_NODES, REDIS_SENTINELS with REDIS_TOPOLOGY) at a running Redis.',
      { cause },
    );
  }
}
