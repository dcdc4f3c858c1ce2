/**
 * Runs `attempt` until it succeeds: after a failure that `retry` accepts, again in the background,
 * the delay doubling from `firstMs` up to `maxMs`. The returned promise settles with the first
 * attempt (rejecting if it failed in a way `retry` refuses); `stop` ends the retries.
 */
export function keepTrying(
  attempt: () => Promise<void>,
  o: { firstMs: number; maxMs: number; retry: (err: unknown) => boolean; onRetry: (err: unknown, delayMs: number) => void; onGiveUp: (err: unknown) => void },
): { first: Promise<void>; stop: () => void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = async (delayMs: number): Promise<void> => {
    try {
      await attempt();
    } catch (err) {
      if (stopped || !o.retry(err)) throw err;
      o.onRetry(err, delayMs);
      timer = setTimeout(() => void run(Math.min(delayMs * 2, o.maxMs)).catch((e: unknown) => stopped || o.onGiveUp(e)), delayMs);
      timer.unref();
    }
  };
  return {
    first: run(o.firstMs),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
