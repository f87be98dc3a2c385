// The health of one server for one route. A route's servers are tried in order; one that is down
// is tried after the others until its down time ends, and then with one real query at a time (a
// probe) until it answers again, so that a dead server costs one query a timeout per down period,
// not every query sent while it is back at the front.
//
// What puts a server down is evidence about the server, not about a name a client chose:
// - a timeout (with a whole timeout_ms to answer in) or an ICMP unreachable / refused connection;
// - failures at a rate: over the last 30 to 60 s (two buckets of BUCKET_MS), at least MIN_FAILURES
//   failures (SERVFAIL, REFUSED, BADCOOKIE, a reply that does not parse) for queries that another
//   server of the route then answered, and more failures than answers. A failure that every
//   server shares is the name's, and is not counted.
// So one client asking names that the first server refuses cannot move the others' queries to the
// second server unless its queries are most of what the route sends that server for half a
// minute: a burst is weighed against everything else the server answered meanwhile.
//
// Health is kept per (route, server) and outlives route table rebuilds (setup.ts): a server that
// refuses one route's zone is still first for the other routes.

import { ServerStats } from './server-stats.js';

/** How long each of the two buckets of outcomes that the failure rate is taken over lasts. */
export const BUCKET_MS = 30_000;
/** The fewest failures that put a server down (with more failures than answers). */
export const MIN_FAILURES = 10;

interface Bucket {
  answers: number;
  failures: number;
}

export class ServerHealth {
  /** What the server did for the route since the pair was first used (status, metrics). */
  readonly stats = new ServerStats();
  /** 0 while up; otherwise when its down time ends (a probe may go then). */
  private downUntil = 0;
  private probing = false;
  private bucketStart = -Infinity;
  private current: Bucket = { answers: 0, failures: 0 };
  private previous: Bucket = { answers: 0, failures: 0 };
  /** The rate when it last went down, for the log. */
  lastRate = { failures: 0, of: 0 };

  isUp(): boolean {
    return this.downUntil === 0;
  }

  get downUntilMs(): number {
    return this.downUntil;
  }

  /** Down, its down time over, and no probe in flight: the next query may be the probe. */
  probeDue(now: number): boolean {
    return this.downUntil !== 0 && now >= this.downUntil && !this.probing;
  }

  /** The next query goes to this server first; no other does until it settles. */
  startProbe(): void {
    this.probing = true;
  }

  /** The query that was to probe it was answered before reaching it: another may probe. */
  cancelProbe(): void {
    this.probing = false;
  }

  /** The server answered. Returns true when it was down: it is up again. */
  answered(now: number): boolean {
    this.probing = false;
    this.bucket(now).answers++;
    if (this.downUntil === 0) return false;
    this.downUntil = 0;
    this.clear();
    return true;
  }

  /** A timeout or an unreachable server: down for `downMs` (0: never down). Returns true when newly down. */
  unreachable(now: number, downMs: number): boolean {
    this.probing = false;
    return this.down(now, downMs);
  }

  /**
   * A failure for a query another server of the route answered: counted in the rate, which may put
   * the server down for `downMs`. Returns true when it newly did.
   */
  failed(now: number, downMs: number): boolean {
    this.probing = false;
    this.bucket(now).failures++;
    if (this.downUntil !== 0) return this.down(now, downMs); // a probe failed: down again, quietly
    const { failures, of } = this.rate;
    if (failures < MIN_FAILURES || 2 * failures <= of) return false;
    return this.down(now, downMs);
  }

  /** Failures and all outcomes (failures and answers) in the two buckets. */
  get rate(): { failures: number; of: number } {
    const failures = this.current.failures + this.previous.failures;
    return { failures, of: failures + this.current.answers + this.previous.answers };
  }

  private down(now: number, downMs: number): boolean {
    if (downMs === 0) return false;
    const wasUp = this.downUntil === 0;
    this.downUntil = now + downMs;
    this.lastRate = this.rate;
    this.clear();
    return wasUp;
  }

  /** The bucket for `now`: a new one every BUCKET_MS, the one before kept for the rate. */
  private bucket(now: number): Bucket {
    if (now - this.bucketStart >= BUCKET_MS) {
      this.previous = now - this.bucketStart < 2 * BUCKET_MS ? this.current : { answers: 0, failures: 0 };
      this.current = { answers: 0, failures: 0 };
      this.bucketStart = now;
    }
    return this.current;
  }

  /** A state change starts counting anew: the rate that put it down does not put it down again. */
  private clear(): void {
    this.previous = { answers: 0, failures: 0 };
    this.current = { answers: 0, failures: 0 };
    this.bucketStart = -Infinity;
  }
}
