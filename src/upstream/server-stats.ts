// What a server did for one route since the pair was first used: queries sent, answers, failures by
// kind, and the time it took to reply (a smoothed RTT and a histogram). Kept with the pair's health
// (route-health.ts), read by the operator's views: `dnsfwd status` and the metrics endpoint.

/** Why an exchange with a server failed, as an operator sorts it. */
export type FailureKind = 'timeout' | 'refused' | 'servfail' | 'unreachable' | 'other';
export const FAILURE_KINDS: readonly FailureKind[] = ['timeout', 'refused', 'servfail', 'unreachable', 'other'];

/**
 * Upper bounds (seconds) of the reply time histogram's buckets: 0.25 ms doubling to 8.192 s, the
 * buckets of CoreDNS's forward plugin (prometheus.ExponentialBuckets(0.00025, 2, 16)).
 */
export const RTT_BUCKETS_S: readonly number[] = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

/** Weight of a new sample in the smoothed RTT (RFC 6298's alpha). */
const ALPHA = 1 / 8;

export class ServerStats {
  /** Exchanges started: one per server asked for a query (a retry over TCP is part of the same). */
  requests = 0;
  /** Replies used: an answer with any RCODE but SERVFAIL and REFUSED. */
  answers = 0;
  readonly failures: Record<FailureKind, number> = { timeout: 0, refused: 0, servfail: 0, unreachable: 0, other: 0 };
  /** Smoothed time to a reply, ms; null before the first. */
  srttMs: number | null = null;
  /** Replies per RTT_BUCKETS_S bucket (not cumulative), the last slot for those over the last bound. */
  readonly rttCounts = new Uint32Array(RTT_BUCKETS_S.length + 1);
  /** Sum of the reply times, seconds. */
  rttSumS = 0;

  /** A reply came `ms` after the exchange started (answer or failure RCODE alike). */
  replied(ms: number): void {
    this.srttMs = this.srttMs === null ? ms : this.srttMs + ALPHA * (ms - this.srttMs);
    const s = ms / 1000;
    this.rttSumS += s;
    let i = 0;
    while (i < RTT_BUCKETS_S.length && s > RTT_BUCKETS_S[i]!) i++;
    this.rttCounts[i]!++;
  }

  /** Replies timed in all. */
  get replies(): number {
    return this.rttCounts.reduce((a, b) => a + b, 0);
  }

  /** Failures of every kind. */
  get failed(): number {
    return FAILURE_KINDS.reduce((n, k) => n + this.failures[k], 0);
  }
}
