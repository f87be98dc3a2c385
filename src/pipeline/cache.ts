// The cache stage: answer hits from stored bytes; on a miss, ask the next stage and store what
// comes back; refresh entries still in demand before they expire (prefetch); when every server
// fails, answer from an expired entry (serve-stale, RFC 8767).
import { makeEntry, renderEntry, type CacheEntry } from '../cache/entry.js';
import type { PacketCache } from '../cache/packet-cache.js';
import type { CacheConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Counters } from '../metrics.js';
import { Rcode, rcode } from '../wire/header.js';
import type { Handler, Query, Stage } from './handler.js';

/** Prefetch when this share of an entry's lifetime is left. */
const PREFETCH_AT = 0.1;

export interface CacheStageDeps {
  /** The cache in force (null when it is off); replaced whole on reload. */
  readonly cache: () => PacketCache | null;
  readonly config: () => CacheConfig;
  /** The route a query goes to: its zone and whether its answers are cached. */
  readonly routeOf: (q: Query) => { readonly zone: string; readonly cache: boolean };
  readonly deadlineMs: () => number;
  readonly counters: Counters;
  readonly log: Logger;
  readonly now?: () => number;
}

export function cacheStage(deps: CacheStageDeps): Stage {
  return (next) => new CachingHandler(deps, next).handle;
}

class CachingHandler {
  private readonly now: () => number;

  constructor(
    private readonly deps: CacheStageDeps,
    private readonly next: Handler,
  ) {
    this.now = deps.now ?? Date.now;
  }

  readonly handle: Handler = (q) => {
    const cache = this.deps.cache();
    if (cache === null) return this.next(q);
    // A hit needs no route: only routes that cache have entries (a route switched to
    // `cache: false` has its entries dropped).
    const t = this.now();
    const found = cache.lookup(q.key, t);
    if (found.state === 'fresh') {
      this.deps.counters.hits++;
      if (this.deps.config().prefetch) this.maybePrefetch(cache, found.entry, q, t);
      return renderEntry(found.entry, q.bytes, q.question, t, false);
    }
    const route = this.deps.routeOf(q);
    if (!route.cache) return this.next(q);
    this.deps.counters.misses++;
    const pending = Promise.resolve(this.next(q)).then((reply) => this.store(cache, reply, q, route.zone, t));
    return found.state === 'stale' && this.deps.config().serveStale ? this.orStale(pending, found.entry, q) : pending;
  };

  /**
   * Stores the reply if it may be cached and answers from the entry, so a miss looks like a hit
   * (RFC 2308 negative TTL, clamps, no AA). Coalesced queries find the entry the first one stored.
   */
  private store(cache: PacketCache, reply: Buffer, q: Query, zone: string, asked: number): Buffer {
    const t = this.now();
    const current = cache.lookup(q.key, t);
    if (current.state === 'fresh' && current.entry.storedAt >= asked) {
      return renderEntry(current.entry, q.bytes, q.question, t, false);
    }
    const entry = makeEntry(reply, q.question.end, zone, this.deps.config(), t);
    if (typeof entry === 'string') {
      this.deps.log.trace({ qname: q.question.name, why: entry }, 'not cached');
      return reply;
    }
    cache.store(q.key, entry);
    this.deps.counters.stored++;
    return renderEntry(entry, q.bytes, q.question, t, false);
  }

  /** RFC 8767 §5: the upstream's answer if it is not SERVFAIL and comes in time, else the stale one. */
  private async orStale(pending: Promise<Buffer>, stale: CacheEntry, q: Query): Promise<Buffer> {
    let timer: NodeJS.Timeout | undefined;
    const wait = this.deps.config().staleAnswerTimeoutMs;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(resolve, wait, null)));
    const reply = await Promise.race([pending.catch(() => null), timeout]);
    clearTimeout(timer);
    if (reply !== null && rcode(reply) !== Rcode.SERVFAIL) return reply;
    this.deps.counters.staleServed++;
    this.deps.log.debug({ qname: q.question.name }, 'serving stale answer');
    return renderEntry(stale, q.bytes, q.question, this.now(), true);
  }

  /** Refreshes `entry` in the background once only PREFETCH_AT of its lifetime is left. */
  private maybePrefetch(cache: PacketCache, entry: CacheEntry, q: Query, t: number): void {
    if (entry.prefetching || entry.kind === 'servfail') return;
    if (entry.expiresAt - t > (entry.expiresAt - entry.storedAt) * PREFETCH_AT) return;
    entry.prefetching = true;
    this.deps.counters.prefetches++;
    Promise.resolve(this.next({ ...q, deadline: t + this.deps.deadlineMs() }))
      .then((reply) => this.store(cache, reply, q, entry.zone, t))
      .catch((err: unknown) => this.deps.log.debug({ qname: q.question.name, err: String(err) }, 'prefetch failed'))
      .finally(() => (entry.prefetching = false));
  }
}
