/**
 * Retries `check` until it stops throwing, for state that announces no event (a registry sweep, a node
 * coming back healthy). Bounded: after `timeoutMs` the last assertion error is thrown as is.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() + intervalMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
