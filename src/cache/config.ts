// The `cache:` section of the config file: its settings, their defaults and ranges (with the RFCs
// that bound them), its validation, and the line `dnsfwd check` prints for it.
import { type Check, type Checker, flag, type Field, numbers, ok, pick, type Raw } from '../checker.js';

export interface CacheConfig {
  /** Most entries kept (LRU); 0 turns the cache off. */
  readonly size: number;
  /** Upper bound on the bytes the entries hold. */
  readonly maxBytes: number;
  /** Clamp on positive TTLs, in seconds (TTL 0 answers are never cached). */
  readonly minTtl: number;
  readonly maxTtl: number;
  /** Cap on the negative-caching TTL derived from the SOA (RFC 2308 §5). */
  readonly negativeMaxTtl: number;
  /** Seconds a SERVFAIL from upstream is cached; 0: never. */
  readonly servfailTtl: number;
  /** Serve expired entries when every server fails (RFC 8767). */
  readonly serveStale: boolean;
  /** Seconds past expiry an entry may still be served stale. */
  readonly staleMaxAge: number;
  /** With a stale entry at hand, how long to wait for upstream before answering from it (RFC 8767 §5). */
  readonly staleAnswerTimeoutMs: number;
  /** Refresh entries still in demand when 10% of their TTL is left. */
  readonly prefetch: boolean;
}

/** The section's defaults, spelled as the YAML file spells them. */
export const CACHE_DEFAULTS = {
  size: 10000,
  max_bytes: 33554432,
  min_ttl: 0,
  max_ttl: 86400,
  negative_max_ttl: 300,
  servfail_ttl: 0,
  serve_stale: true,
  stale_max_age: 86400,
  stale_answer_timeout_ms: 1800,
  prefetch: true,
};

const FIELDS = {
  size: ['size', 0, 1_000_000],
  maxBytes: ['max_bytes', 65536, 1 << 30],
  minTtl: ['min_ttl', 0, 86400],
  maxTtl: ['max_ttl', 1, 604800],
  negativeMaxTtl: ['negative_max_ttl', 0, 86400], // RFC 2308 §5: 1-3 hours is reasonable, 1 day the most
  servfailTtl: ['servfail_ttl', 0, 300], // RFC 2308 §7.1: at most five minutes
  staleMaxAge: ['stale_max_age', 0, 604800], // RFC 8767 §4: 1 to 3 days suggested
  staleAnswerTimeoutMs: ['stale_answer_timeout_ms', 0, 30000], // RFC 8767 §5: 1.8 s suggested
} as const satisfies Record<Exclude<keyof CacheConfig, 'serveStale' | 'prefetch'>, Field>;
const FLAGS = { serveStale: 'serve_stale', prefetch: 'prefetch' } as const;

export function cacheSection(c: Checker, raw: unknown): Check<CacheConfig> {
  const n = numbers(c, raw, 'cache', FIELDS, CACHE_DEFAULTS, Object.values(FLAGS));
  if (!n.ok) return n;
  const m = (raw ?? {}) as Raw;
  const serveStale = flag(c, pick(m, FLAGS.serveStale, CACHE_DEFAULTS.serve_stale), ['cache', FLAGS.serveStale]);
  if (!serveStale.ok) return serveStale;
  const prefetch = flag(c, pick(m, FLAGS.prefetch, CACHE_DEFAULTS.prefetch), ['cache', FLAGS.prefetch]);
  if (!prefetch.ok) return prefetch;
  if (n.value.minTtl > n.value.maxTtl) return c.fail(['cache', 'min_ttl'], `must not exceed max_ttl (${n.value.maxTtl})`);
  return ok({ ...n.value, serveStale: serveStale.value, prefetch: prefetch.value });
}

export function describeCache(k: CacheConfig): string {
  if (k.size === 0) return 'cache:     off';
  const stale = k.serveStale ? `serve stale up to ${k.staleMaxAge} s (after ${k.staleAnswerTimeoutMs} ms)` : 'no serve-stale';
  return (
    `cache:     ${k.size} entries, ${k.maxBytes} bytes, TTL ${k.minTtl}..${k.maxTtl} s, negative ≤ ${k.negativeMaxTtl} s, ` +
    `SERVFAIL ${k.servfailTtl} s, ${stale}, prefetch ${k.prefetch ? 'on' : 'off'}`
  );
}
