// Turns the `cache:` section into the cache stage, and keeps what outlives one query: the LRU in
// force (a new one when a reload changes the section; none when `size` is 0), the stage's
// counters, and the flush policy: answers learned through a route whose servers changed go.
import type { Logger } from '../log.js';
import type { Stage } from '../pipeline/handler.js';
import type { RouteTable, RouteTarget } from '../route/build.js';
import { SpecialZone } from '../route/special.js';
import type { CacheConfig } from './config.js';
import { PacketCache, type Lookup } from './packet-cache.js';
import { CacheCounters, cacheStage } from './stage.js';

export interface CacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly stale: number;
  readonly prefetches: number;
}

export class AnswerCache {
  private readonly counters = new CacheCounters();
  private config: CacheConfig;
  private lru: PacketCache | null;

  constructor(
    config: CacheConfig,
    private readonly log: Logger,
  ) {
    this.config = config;
    this.lru = makeLru(config);
  }

  /** The stage for the pipeline: it uses the LRU and settings in force at each query. */
  stage(): Stage {
    return cacheStage({ cache: () => this.lru, config: () => this.config, counters: this.counters, log: this.log, now: Date.now });
  }

  /** A reload: a changed section starts a new, empty cache. */
  configure(next: CacheConfig): void {
    if (JSON.stringify(next) !== JSON.stringify(this.config)) this.lru = makeLru(next);
    this.config = next;
  }

  /**
   * Drops cached answers learned through a route whose servers (or cache switch) changed, e.g. a
   * new lease; when zones were added or removed (a reload, a link's domains), names may have
   * moved to another route: drops all.
   */
  routesChanged(before: RouteTable, after: RouteTable): void {
    if (!this.lru) return;
    const old = routeServers(before);
    const next = routeServers(after);
    if (old.size !== next.size || [...next.keys()].some((zone) => !old.has(zone))) {
      const dropped = this.lru.clear();
      if (dropped) this.log.info({ entries: dropped }, 'zones changed: cached answers dropped');
      return;
    }
    for (const [zone, now] of next) {
      if (old.get(zone) === now) continue;
      const dropped = this.lru.dropZone(zone);
      if (dropped) this.log.info({ zone: zone || '.', entries: dropped }, 'route servers changed: cached answers dropped');
    }
  }

  /** Drops the answers for names at or under `zone` ('' is the root), or all for null: `dnsfwd flush`. How many. */
  flush(zone: string | null): number {
    if (!this.lru) return 0;
    const dropped = zone === null ? this.lru.clear() : this.lru.dropUnder(zone);
    this.log.info({ zone: zone === null ? null : zone || '.', entries: dropped }, 'cache flushed');
    return dropped;
  }

  /** The cached answer for `key` as a lookup would find it now, counting nothing and moving nothing; null when the cache is off. */
  peek(key: string, now: number): Lookup | null {
    return this.lru?.peek(key, now) ?? null;
  }

  stats(): CacheStats {
    const c = this.counters;
    const entries = this.lru?.entries ?? 0;
    const bytes = this.lru?.bytes ?? 0;
    return { entries, bytes, hits: c.hits, misses: c.misses, stale: c.staleServed, prefetches: c.prefetches };
  }
}

function makeLru(k: CacheConfig): PacketCache | null {
  if (k.size === 0) return null;
  return new PacketCache({ size: k.size, maxBytes: k.maxBytes, staleMs: k.serveStale ? k.staleMaxAge * 1000 : 0 });
}

/** Each route's zone → what its cached answers depend on: the cache switch and the servers ('built-in' for a special-use zone). */
function routeServers(t: RouteTable): Map<string, string> {
  const servers = (g: RouteTarget) => (g instanceof SpecialZone ? 'built-in' : g.upstreams.map((u) => u.label).join(' '));
  return new Map([...t.routes()].map((r) => [r.zone, `${r.cache} ${servers(r.group)}`]));
}
