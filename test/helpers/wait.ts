// Waiting in tests for a condition to hold: the one poll loop of the unit tests, bounded with the
// generous slack a busy machine needs; and the count of active timers, to see that none is left.

/** What a wait allows by default: far more than anything the code under test waits for. */
export const WAIT_MS = 10_000;

/**
 * Resolves once `cond()` holds, looking every `everyMs` (0: after every turn of the event loop, to
 * catch a short window); rejects after `ms`.
 */
export async function until(what: string, cond: () => boolean, ms = WAIT_MS, everyMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not ${what} within ${ms} ms`);
    await new Promise((r) => (everyMs === 0 ? setImmediate(r) : setTimeout(r, everyMs)));
  }
}

/** Active timers of this process (a poll or a debounce is one). */
export const activeTimers = (): number =>
  (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
