/** Exponential backoff with jitter, the same shape as socket.io-client's reconnection delays. */
export interface Backoff {
  /** Delay before the first retry (ms). */
  initialDelayMs: number;
  /** Upper bound of any delay (ms). */
  maxDelayMs: number;
  /** 0..1: each delay is spread uniformly over ±this fraction, so clients dropped together retry apart. */
  randomization: number;
}

/**
 * The delay before retry number `attempt` (1 = first): `initialDelayMs * 2^(attempt-1)`, spread by
 * `randomization`, capped at `maxDelayMs`. `random` is injectable for tests.
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const base = backoff.initialDelayMs * 2 ** Math.max(0, attempt - 1);
  const spread = base * backoff.randomization * (2 * random() - 1);
  return Math.round(Math.min(backoff.maxDelayMs, Math.max(0, base + spread)));
}
