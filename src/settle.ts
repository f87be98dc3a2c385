// "Whichever comes first": a result, an error, or a deadline. One pending operation settles once,
// its timer is cleared and what it set up is undone, however many of them try to settle it.

/** Settles the operation: with an error, or with its value. */
export type Finish<T> = (err: Error | null, value?: T) => void;

/** What the deadline settles with: an error (the promise rejects) or a value (it resolves). */
export type AtDeadline<T> = { readonly error: Error } | { readonly value: T };

/**
 * Starts an operation with `start(finish)` and settles with the first `finish` call, or at
 * `timeoutMs` with `atDeadline()`. What `start` returns is run once the operation has settled
 * (even when `finish` was called while `start` was still running).
 */
export function settleOnce<T>(
  timeoutMs: number,
  start: (finish: Finish<T>) => (() => void) | void,
  atDeadline: () => AtDeadline<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let undo: (() => void) | undefined;
    const finish: Finish<T> = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      undo?.();
      if (err) reject(err);
      else resolve(value as T);
    };
    const timer = setTimeout(() => {
      const end = atDeadline();
      if ('error' in end) finish(end.error);
      else finish(null, end.value);
    }, timeoutMs);
    const cleanup = start(finish) || undefined; // start may set up nothing to undo
    if (done) cleanup?.();
    else undo = cleanup;
  });
}

/** `pending`'s outcome, or `atDeadline()`'s if `timeoutMs` pass first. */
export function beforeDeadline<T>(pending: PromiseLike<T>, timeoutMs: number, atDeadline: () => AtDeadline<T>): Promise<T> {
  return settleOnce<T>(
    timeoutMs,
    (finish) => void pending.then(
      (value) => finish(null, value),
      (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
    ),
    atDeadline,
  );
}
