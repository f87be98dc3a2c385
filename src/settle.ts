// "Whichever comes first": a result, an error, or a deadline. One pending operation settles once,
// its timer is cleared and what it set up is undone, however many of them try to settle it.
// Operations that are many and short (an upstream query, a client's query waiting for its answer)
// do not get a timer each: each is one record in a DeadlineSweep, a heap ordered by deadline under
// one timer set for the earliest.
import { performance } from 'node:perf_hooks';

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

/**
 * One record in a DeadlineSweep: its `expire()` runs once `deadline` has passed, unless it was
 * removed first. A subclass holds whatever its operation needs (no closure, no timer of its own).
 */
export abstract class Deadline {
  /** When it expires, on the sweep's clock (ms). */
  deadline = 0;
  /** Its place in the sweep's heap; -1 when it is in none. */
  heapIndex = -1;

  /** Runs once, when the deadline has passed; the record is out of the sweep by then. */
  abstract expire(): void;
}

/**
 * Deadlines under one timer: a binary min-heap of records (each knows its place, so removing one
 * is O(log n) and allocates nothing), the timer set for the earliest deadline. A record removed
 * leaves the timer as it is: when it fires early it finds nothing due and is set again for the
 * earliest record left; with no record left it is cleared.
 */
export class DeadlineSweep {
  private readonly heap: Deadline[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** When the timer is set to fire (Infinity: not set). */
  private timerAt = Infinity;

  constructor(
    /** A monotonic clock, ms. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records waiting. */
  get size(): number {
    return this.heap.length;
  }

  /** Adds `d` (not in a sweep) to expire `ms` from now. */
  add(d: Deadline, ms: number): void {
    d.deadline = this.now() + ms;
    const i = this.heap.length;
    this.heap.push(d);
    d.heapIndex = i;
    this.up(i);
    if (d.deadline < this.timerAt) this.arm(d.deadline);
  }

  /** Takes `d` out; a record in no sweep (expired, or removed already) is left as it is. */
  remove(d: Deadline): void {
    const i = d.heapIndex;
    if (this.heap[i] !== d) return; // heapIndex -1 (in no sweep) finds undefined, another sweep's place another record
    d.heapIndex = -1;
    const last = this.heap.pop()!;
    if (last !== d) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(last.heapIndex);
    }
    if (this.heap.length === 0) this.disarm();
  }

  /** Expires every record whose deadline has passed, earliest first, then sets the timer for the next. */
  private readonly sweep = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    const t = this.now();
    for (let d = this.heap[0]; d !== undefined && d.deadline <= t; d = this.heap[0]) {
      this.remove(d);
      d.expire();
    }
    const first = this.heap[0];
    if (first !== undefined) this.arm(first.deadline); // set again even if an expiring record's add() just set it: the same time or later
  };

  private arm(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    // At least 1 ms (a timer rounds to whole ms), and up to 1 ms late: never early.
    this.timer = setTimeout(this.sweep, Math.max(1, Math.ceil(at - this.now())));
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private up(i: number): void {
    const heap = this.heap;
    const d = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.deadline <= d.deadline) break;
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = d;
    d.heapIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const d = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1]!.deadline < heap[child]!.deadline) child++;
      const c = heap[child]!;
      // fast path: without this stop d would sink to a leaf and remove()'s up() would lift it
      // back; the order would be the same, with more moves.
      if (c.deadline >= d.deadline) break;
      heap[i] = c;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = d;
    d.heapIndex = i;
  }
}

/** Where a promise made by openPromise() is settled: a record's own fields. */
export interface Resolvers<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

/** The resolve and reject of the promise openPromise() made last: no executor closure per promise. */
const NOTHING = (): void => undefined;
let heldResolve: (value: any) => void = NOTHING;
let heldReject: (err: Error) => void = NOTHING;
function hold(resolve: (value: any) => void, reject: (err: Error) => void): void {
  heldResolve = resolve;
  heldReject = reject;
}

/** A new promise whose resolve and reject are written into `into` (a record that settles it). */
export function openPromise<T>(into: Resolvers<T>): Promise<T> {
  const p = new Promise<T>(hold);
  into.resolve = heldResolve;
  into.reject = heldReject;
  heldResolve = heldReject = NOTHING; // holds on to no promise
  return p;
}

/** beforeDeadline's record: the race between a promise and the deadline. */
class Race<T> extends Deadline implements Resolvers<T> {
  private done = false;
  resolve: (value: T) => void = NOTHING;
  reject: (err: Error) => void = NOTHING;

  constructor(
    private readonly sweep: DeadlineSweep,
    private readonly atDeadline: () => AtDeadline<T>,
  ) {
    super();
  }

  start(pending: PromiseLike<T>, timeoutMs: number): Promise<T> {
    const p = openPromise(this);
    this.sweep.add(this, timeoutMs);
    pending.then(this.onValue, this.onError);
    return p;
  }

  private readonly onValue = (value: T): void => {
    if (this.settle()) this.resolve(value);
  };

  private readonly onError = (err: unknown): void => {
    if (this.settle()) this.reject(err instanceof Error ? err : new Error(String(err)));
  };

  expire(): void {
    if (this.done) return;
    this.done = true;
    const end = this.atDeadline();
    if ('error' in end) this.reject(end.error);
    else this.resolve(end.value);
  }

  private settle(): boolean {
    if (this.done) return false;
    this.done = true;
    this.sweep.remove(this);
    return true;
  }
}

/** The sweep of beforeDeadline's records when the caller names none. */
export const sharedSweep = new DeadlineSweep();

/** `pending`'s outcome, or `atDeadline()`'s if `timeoutMs` pass first: one record in `sweep`, no timer of its own. */
export function beforeDeadline<T>(
  pending: PromiseLike<T>,
  timeoutMs: number,
  atDeadline: () => AtDeadline<T>,
  sweep: DeadlineSweep = sharedSweep,
): Promise<T> {
  return new Race<T>(sweep, atDeadline).start(pending, timeoutMs);
}
