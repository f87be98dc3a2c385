// At most one log line a minute per key (a client subnet, a kind of failure), saying how many
// events there were since the last one: a flood of refused queries, bad packets or failed answers
// costs a line a minute, not a line a packet. Every line a client or an upstream can make the
// daemon write goes through here (LogThrottle for lines of their own, ThrottledLog otherwise).
// Keys are bounded: at MAX_KEYS, those quiet for a minute are forgotten (or all, if none is).
import type { Logger } from './log.js';

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

type Level = 'info' | 'warn' | 'error';

/**
 * A logger's lines that a remote party can trigger: the first of a kind is written at once, then
 * at most one a minute, with `count`, the events since the last line written (this one included).
 * The kind is the message, or `key` (the message plus what tells kinds apart, an error code say).
 */
export class ThrottledLog {
  private readonly throttle: LogThrottle;

  constructor(
    private readonly log: Logger,
    now: () => number = Date.now,
  ) {
    this.throttle = new LogThrottle(now);
  }

  info(fields: Record<string, unknown>, msg: string, key = msg): void {
    this.line('info', fields, msg, key);
  }

  warn(fields: Record<string, unknown>, msg: string, key = msg): void {
    this.line('warn', fields, msg, key);
  }

  error(fields: Record<string, unknown>, msg: string, key = msg): void {
    this.line('error', fields, msg, key);
  }

  private line(level: Level, fields: Record<string, unknown>, msg: string, key: string): void {
    const count = this.throttle.count(key);
    if (count > 0) this.log[level]({ ...fields, count }, msg);
  }
}
