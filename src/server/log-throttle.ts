// At most one log line a minute per key (a client subnet), saying how many events there were
// since the last one: a flood of refused or rate-limited queries costs a line a minute, not a line
// a query. Keys are bounded: at MAX_KEYS, those quiet for a minute are forgotten (or all, if none is).
export const LOG_INTERVAL_MS = 60_000;
const MAX_KEYS = 1024;

interface Tally {
  /** When the last line for this key was due; -Infinity before the first. */
  at: number;
  count: number;
}

export class LogThrottle {
  private readonly tallies = new Map<string, Tally>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one event for `key`; returns the count to log when a line is due, else 0. */
  count(key: string): number {
    const now = this.now();
    let t = this.tallies.get(key);
    if (t === undefined) {
      if (this.tallies.size >= MAX_KEYS) this.forget(now);
      t = { at: -Infinity, count: 0 };
      this.tallies.set(key, t);
    }
    t.count++;
    if (now - t.at < LOG_INTERVAL_MS) return 0;
    const n = t.count;
    t.count = 0;
    t.at = now;
    return n;
  }

  get size(): number {
    return this.tallies.size;
  }

  private forget(now: number): void {
    for (const [k, t] of this.tallies) if (now - t.at >= LOG_INTERVAL_MS) this.tallies.delete(k);
    if (this.tallies.size >= MAX_KEYS) this.tallies.clear();
  }
}
