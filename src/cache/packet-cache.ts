// The answer cache: an LRU (lru-cache) of CacheEntry by key, bounded in entries and bytes.
// Expired entries stay while they may still be served stale (RFC 8767).
import { LRUCache } from 'lru-cache';
import { lowerAscii, presentationToWire } from '../wire/name.js';
import type { CacheEntry } from './entry.js';

/** Bytes an entry costs beyond its message: key, arrays, object (an estimate). */
const ENTRY_OVERHEAD = 200;

export interface CacheLimits {
  readonly size: number;
  readonly maxBytes: number;
  /** Milliseconds past expiry an entry is kept for serving stale; 0 without serve-stale. */
  readonly staleMs: number;
}

export type Lookup =
  | { readonly state: 'fresh'; readonly entry: CacheEntry }
  | { readonly state: 'stale'; readonly entry: CacheEntry }
  | { readonly state: 'miss' };

const MISS: Lookup = { state: 'miss' };

export class PacketCache {
  private readonly lru: LRUCache<string, CacheEntry>;

  constructor(private readonly limits: CacheLimits) {
    this.lru = new LRUCache<string, CacheEntry>({
      max: Math.max(1, limits.size),
      maxSize: limits.maxBytes,
      sizeCalculation: (e, key) => e.bytes.length + e.ttlFields.length * 8 + key.length + ENTRY_OVERHEAD,
    });
  }

  lookup(key: string, now: number): Lookup {
    const entry = this.lru.get(key);
    if (entry === undefined) return MISS;
    if (now < entry.expiresAt) return { state: 'fresh', entry };
    if (entry.kind !== 'servfail' && now < entry.expiresAt + this.limits.staleMs) return { state: 'stale', entry };
    this.lru.delete(key);
    return MISS;
  }

  /**
   * What lookup() would find, without its effects: the entry keeps its place in the LRU order, and
   * an expired one is not deleted (`dnsfwd explain` looks without changing anything).
   */
  peek(key: string, now: number): Lookup {
    const entry = this.lru.peek(key);
    if (entry === undefined) return MISS;
    if (now < entry.expiresAt) return { state: 'fresh', entry };
    if (entry.kind !== 'servfail' && now < entry.expiresAt + this.limits.staleMs) return { state: 'stale', entry };
    return MISS;
  }

  /** Stores `entry`; a SERVFAIL never replaces an answer that could still be served stale. */
  store(key: string, entry: CacheEntry): void {
    if (entry.kind === 'servfail' && this.lru.has(key)) return;
    this.lru.set(key, entry);
  }

  /** Drops every entry learned through `zone` (its servers changed). Returns how many. */
  dropZone(zone: string): number {
    const doomed: string[] = [];
    for (const [key, e] of this.lru.entries()) if (e.zone === zone) doomed.push(key);
    for (const key of doomed) this.lru.delete(key);
    return doomed.length;
  }

  /**
   * Drops every entry whose name is `zone` or below it (`zone` in presentation form, '' for the
   * root), whatever its type, kind or age. Returns how many.
   */
  dropUnder(zone: string): number {
    const suffix = String.fromCharCode(...Array.from(presentationToWire(zone), lowerAscii));
    const doomed: string[] = [];
    for (const key of this.lru.keys()) if (nameUnder(key, suffix)) doomed.push(key);
    for (const key of doomed) this.lru.delete(key);
    return doomed.length;
  }

  /** Drops every entry. Returns how many there were. */
  clear(): number {
    const n = this.lru.size;
    this.lru.clear();
    return n;
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }
}

/**
 * Whether the name a key starts with (wire format, lower case: question-key.ts) ends with the
 * wire name `suffix` at a label boundary.
 */
function nameUnder(key: string, suffix: string): boolean {
  for (let pos = 0; pos < key.length; pos += key.charCodeAt(pos) + 1) {
    if (key.startsWith(suffix, pos)) return true;
    if (key.charCodeAt(pos) === 0) return false;
  }
  return false;
}
