// The cache stage: answer hits from stored bytes, synchronously and without a route lookup; on a
// miss, ask the next stage and store what comes back; refresh entries still in demand before they
// expire (prefetch); when every server fails, answer from an expired entry (serve-stale, RFC 8767).
import type { Logger } from '../log.js';
import type { Handler, Stage } from '../pipeline/handler.js';
import type { Query } from '../pipeline/query.js';
import { beforeDeadline } from '../settle.js';
import { Rcode, rcode } from '../wire/header.js';
import type { CacheConfig } from './config.js';
import { draftEntry, renderEntry, renderStored, type CacheEntry } from './entry.js';
import type { PacketCache } from './packet-cache.js';

/** What findQuery returns when the cache holds nothing for the query (and startPrefetch when there is nothing to do). */
const NOT_FOUND = -1;

/** Prefetch when this share of an entry's lifetime is left. */
const PREFETCH_AT = 0.1;

/** What the cache stage counts, for an operator (SIGUSR1). */
export class CacheCounters {
  hits = 0;
  misses = 0;
  staleServed = 0;
  prefetches = 0;
}

export interface CacheStageDeps {
  /** The cache in force (null when it is off); replaced whole on reload. */
  readonly cache: () => PacketCache | null;
  readonly config: () => CacheConfig;
  readonly counters: CacheCounters;
  readonly log: Logger;
  readonly now: () => number;
}

export function cacheStage(deps: CacheStageDeps): Stage {
  return (next) => new CachingHandler(deps, next).handle;
}

class CachingHandler {
  constructor(
    private readonly deps: CacheStageDeps,
    private readonly next: Handler,
  ) {}

  readonly handle: Handler = (q) => {
    const cache = this.deps.cache();
    if (cache === null) return this.next(q);
    // A hit needs no route: only routes that cache have entries (a route switched to
    // `cache: false` has its entries dropped).
    const t = this.deps.now();
    const found = cache.findQuery(q.bytes, q.question, t);
    if (found !== NOT_FOUND && t < cache.expiresAt(found)) {
      this.deps.counters.hits++;
      if (q.note) q.note.from = 'cache';
      if (this.deps.config().prefetch) this.maybePrefetch(cache, found, q, t);
      return cache.render(found, q.bytes, q.question, t, false);
    }
    const route = q.route;
    if (!route.cache) return this.next(q);
    this.deps.counters.misses++;
    const pending = Promise.resolve(this.next(q)).then((reply) => this.store(cache, reply, q, route.zone, t));
    // An entry found but not fresh is stale (findQuery drops one past stale_max_age).
    return found !== NOT_FOUND && this.deps.config().serveStale ? this.orStale(pending, cache.entryAt(found), q) : pending;
  };

  /**
   * Stores the reply if it may be cached (and holds nothing from a route that does not cache) and
   * answers from the entry, so a miss looks like a hit (RFC 2308 negative TTL, clamps, no AA).
   * Coalesced queries find the entry the first one stored.
   */
  private store(cache: PacketCache, reply: Buffer, q: Query, zone: string, asked: number): Buffer {
    if (q.uncacheable) return reply; // a CNAME chain led into a route that does not cache
    const t = this.deps.now();
    const current = cache.findQuery(q.bytes, q.question, t);
    if (current !== NOT_FOUND && t < cache.expiresAt(current) && cache.storedAt(current) >= asked) {
      return cache.render(current, q.bytes, q.question, t, false);
    }
    const d = draftEntry(reply, q.question.end, this.deps.config(), t);
    if (typeof d === 'string') {
      this.deps.log.trace({ qname: q.question.name, why: d }, 'not cached');
      return reply;
    }
    cache.storeDraft(q.key, d, zone);
    return renderStored(d.bytes, 0, d.size, d.length, d.storedAt, q.bytes, q.question, t, false);
  }

  /** RFC 8767 §5: the upstream's answer if it is not SERVFAIL and comes in time, else the stale one. */
  private async orStale(pending: Promise<Buffer>, stale: CacheEntry, q: Query): Promise<Buffer> {
    const wait = this.deps.config().staleAnswerTimeoutMs;
    const reply = await beforeDeadline<Buffer | null>(pending, wait, () => ({ value: null })).catch(() => null);
    if (reply !== null && rcode(reply) !== Rcode.SERVFAIL) return reply;
    this.deps.counters.staleServed++;
    if (q.note) q.note.from = 'stale';
    this.deps.log.debug({ qname: q.question.name }, 'serving stale answer');
    return renderEntry(stale, q.bytes, q.question, this.deps.now(), true);
  }

  /** Refreshes the entry in `slot` in the background once only PREFETCH_AT of its lifetime is left. */
  private maybePrefetch(cache: PacketCache, slot: number, q: Query, t: number): void {
    const expiresAt = cache.expiresAt(slot);
    if (expiresAt - t > (expiresAt - cache.storedAt(slot)) * PREFETCH_AT) return;
    const token = cache.startPrefetch(slot);
    if (token === NOT_FOUND) return;
    this.deps.counters.prefetches++;
    const zone = cache.zoneOf(slot);
    // The query's own deadline: it arrived just now, so the refresh has as long as a miss would.
    Promise.resolve(this.next(q))
      .then((reply) => this.store(cache, reply, q, zone, t))
      .catch((err: unknown) => this.deps.log.debug({ qname: q.question.name, err: String(err) }, 'prefetch failed'))
      .finally(() => cache.prefetchDone(slot, token));
  }
}
