// Response rate limiting (RRL, as NSD's and BIND's): a UDP source address can be forged, so
// without a limit dnsfwd could be made to send answers to a victim. Each client prefix (/24, /56)
// gets `responses_per_second` responses in each second; past that, every slip-th response goes out
// as an empty TC=1 reply (a real client retries over TCP, which cannot be forged) and the others
// are dropped. The table holds only the prefixes heard from in the current second, and at most
// MAX_BUCKETS of them.
import type { RateLimitConfig } from './client-config.js';

export type Limited = 'answer' | 'truncate' | 'drop';

/** Prefixes tracked at once: about 1.5 MB. Past it, the one heard from longest ago starts afresh. */
export const MAX_BUCKETS = 10_000;

interface Bucket {
  /** The second (ms / 1000, rounded down) the counts are for. */
  second: number;
  responses: number;
  /** Responses over the limit in that second: every slip-th is truncated. */
  over: number;
}

export class RateLimiter {
  /** In order of the second they were last reset: the stale ones first. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number = Date.now,
    private readonly maxBuckets = MAX_BUCKETS,
  ) {}

  get enabled(): boolean {
    return this.config.responsesPerSecond > 0;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Counts one response to the prefix `key`: sent as it is, sent empty with TC=1, or not sent. */
  check(key: string): Limited {
    const second = Math.floor(this.now() / 1000);
    let b = this.buckets.get(key);
    if (b === undefined || b.second !== second) {
      if (b !== undefined) this.buckets.delete(key);
      b = this.add(key, second);
    }
    if (++b.responses <= this.config.responsesPerSecond) return 'answer';
    const slip = this.config.slip;
    return slip > 0 && ++b.over % slip === 0 ? 'truncate' : 'drop';
  }

  /** A fresh bucket at the end; buckets of earlier seconds at the front go (their counts are over). */
  private add(key: string, second: number): Bucket {
    for (const [k, old] of this.buckets) {
      if (old.second === second && this.buckets.size < this.maxBuckets) break;
      this.buckets.delete(k);
    }
    const b = { second, responses: 0, over: 0 };
    this.buckets.set(key, b);
    return b;
  }
}
