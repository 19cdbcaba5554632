// Captured at import, before any test installs fake timers: polling must run
// on real time even while the SDK's own timers are frozen.
const realSetTimeout = globalThis.setTimeout;
const realNow = Date.now;

/**
 * Polls `check` until it stops throwing (or returns something other than
 * false), or fails after `timeoutMs` of real time with its last error.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5_000, intervalMs = 10 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = realNow() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      lastError = new Error('condition still false');
    } catch (err) {
      lastError = err;
    }
    if (realNow() > deadline) throw lastError;
    await new Promise((resolve) => realSetTimeout(resolve, intervalMs));
  }
}
