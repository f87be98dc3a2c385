// The answer cache: CacheEntry by key, least recently used first out, bounded in entries and
// bytes. Expired entries stay while they may still be served stale (RFC 8767).
// A hash table with chaining and a doubly linked LRU list, both threaded through the entries
// themselves: no Map entry, no key list, no per-entry arrays beside them. A key is the string
// wire/question-key.ts makes, and a client's query is looked up from its bytes without making
// that string (findQuery): the hash and the comparison read the bytes as the key's characters.
import { lowerAscii, presentationToWire } from '../wire/name.js';
import type { Question } from '../wire/question.js';
import { keyFlags } from '../wire/question-key.js';
import type { CacheEntry } from './entry.js';

/** Bytes an entry costs beyond its data and key: its object, the string headers, its table slot (an estimate). */
const ENTRY_OVERHEAD = 180;
const MIN_BUCKETS = 16;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

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
  private buckets: (CacheEntry | null)[] = new Array<CacheEntry | null>(MIN_BUCKETS).fill(null);
  private mask = MIN_BUCKETS - 1;
  /** The least and the most recently used entries. */
  private oldest: CacheEntry | null = null;
  private newest: CacheEntry | null = null;
  private count = 0;
  private held = 0;
  private readonly max: number;

  constructor(private readonly limits: CacheLimits) {
    this.max = Math.max(1, limits.size);
  }

  /** What the cache holds for `key`, as a client's query would find it (the entry becomes the most recently used). */
  lookup(key: string, now: number): Lookup {
    return state(this.live(this.findKey(key), now), now, this.limits.staleMs);
  }

  /**
   * The entry for the client's query in `query` (its key: questionKey(query, q)), fresh or stale,
   * or null; it becomes the most recently used. The hit path: no key string is made.
   */
  findQuery(query: Uint8Array, q: Question, now: number): CacheEntry | null {
    const end = q.end;
    const nameEnd = end - 4;
    const flags = keyFlags(query, q);
    let hash = FNV_OFFSET;
    for (let i = 12; i < nameEnd; i++) hash = Math.imul(hash ^ lowerAscii(query[i]!), FNV_PRIME);
    for (let i = nameEnd; i < end; i++) hash = Math.imul(hash ^ query[i]!, FNV_PRIME);
    hash = Math.imul(hash ^ flags, FNV_PRIME) | 0;
    const length = end - 12 + 1;
    let e = this.buckets[hash & this.mask] as CacheEntry | null;
    for (; e !== null; e = e.chain) {
      if (e.hash !== hash) continue;
      const k = e.key;
      if (k.length !== length || k.charCodeAt(length - 1) !== flags) continue;
      let i = 12;
      while (i < nameEnd && k.charCodeAt(i - 12) === lowerAscii(query[i]!)) i++;
      if (i < nameEnd) continue;
      while (i < end && k.charCodeAt(i - 12) === query[i]) i++;
      if (i === end) break;
    }
    return this.live(e, now);
  }

  /**
   * What lookup() would find, without its effects: the entry keeps its place in the LRU order, and
   * an expired one is not deleted (`dnsfwd explain` looks without changing anything).
   */
  peek(key: string, now: number): Lookup {
    const e = this.findKey(key);
    return e === null ? MISS : state(e, now, this.limits.staleMs);
  }

  /** Stores `entry` under `key`; a SERVFAIL never replaces an answer that could still be served stale. */
  store(key: string, entry: CacheEntry): void {
    const old = this.findKey(key);
    if (old !== null) {
      if (entry.kind === 'servfail') return;
      this.remove(old);
    }
    const cost = sizeOf(entry, key);
    if (cost > this.limits.maxBytes) return;
    entry.key = key;
    entry.hash = hashKey(key);
    const slot = entry.hash & this.mask;
    entry.chain = this.buckets[slot] as CacheEntry | null;
    this.buckets[slot] = entry;
    entry.older = this.newest;
    entry.newer = null;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
    this.count++;
    this.held += cost;
    while (this.count > this.max || this.held > this.limits.maxBytes) this.remove(this.oldest!);
    if (this.count > this.buckets.length) this.rehash(this.buckets.length * 2);
  }

  /** Drops every entry learned through `zone` (its servers changed). Returns how many. */
  dropZone(zone: string): number {
    return this.dropWhere((e) => e.zone === zone);
  }

  /**
   * Drops every entry whose name is `zone` or below it (`zone` in presentation form, '' for the
   * root), whatever its type, kind or age. Returns how many.
   */
  dropUnder(zone: string): number {
    const suffix = String.fromCharCode(...Array.from(presentationToWire(zone), lowerAscii));
    return this.dropWhere((e) => nameUnder(e.key, suffix));
  }

  /** Drops every entry. Returns how many there were. */
  clear(): number {
    const n = this.count;
    // An entry still held elsewhere (a prefetch, a stale answer waiting) must not keep the others alive.
    for (let e = this.oldest; e !== null; ) {
      const next = e.newer;
      e.older = e.newer = e.chain = null;
      e = next;
    }
    this.buckets = new Array<CacheEntry | null>(MIN_BUCKETS).fill(null);
    this.mask = MIN_BUCKETS - 1;
    this.oldest = this.newest = null;
    this.count = this.held = 0;
    return n;
  }

  get entries(): number {
    return this.count;
  }

  get bytes(): number {
    return this.held;
  }

  private dropWhere(doomed: (e: CacheEntry) => boolean): number {
    let n = 0;
    for (let e = this.oldest; e !== null; ) {
      const next = e.newer;
      if (doomed(e)) {
        this.remove(e);
        n++;
      }
      e = next;
    }
    return n;
  }

  private findKey(key: string): CacheEntry | null {
    const hash = hashKey(key);
    let e = this.buckets[hash & this.mask] as CacheEntry | null;
    while (e !== null && (e.hash !== hash || e.key !== key)) e = e.chain;
    return e;
  }

  /** `e` unless it is too old even to serve stale (then it is dropped); made the most recently used. */
  private live(e: CacheEntry | null, now: number): CacheEntry | null {
    if (e === null) return null;
    if (now >= e.expiresAt && (e.kind === 'servfail' || now >= e.expiresAt + this.limits.staleMs)) {
      this.remove(e);
      return null;
    }
    if (e !== this.newest) {
      // Unlink, then append at the newest end.
      const older = e.older;
      const newer = e.newer!;
      if (older) older.newer = newer;
      else this.oldest = newer;
      newer.older = older;
      e.older = this.newest;
      e.newer = null;
      this.newest!.newer = e;
      this.newest = e;
    }
    return e;
  }

  private remove(e: CacheEntry): void {
    const slot = e.hash & this.mask;
    let p = this.buckets[slot] as CacheEntry;
    if (p === e) this.buckets[slot] = e.chain;
    else {
      while (p.chain !== e) p = p.chain!;
      p.chain = e.chain;
    }
    if (e.older) e.older.newer = e.newer;
    else this.oldest = e.newer;
    if (e.newer) e.newer.older = e.older;
    else this.newest = e.older;
    e.chain = e.older = e.newer = null;
    this.count--;
    this.held -= sizeOf(e, e.key);
  }

  private rehash(n: number): void {
    const buckets = new Array<CacheEntry | null>(n).fill(null);
    const mask = n - 1;
    for (let e = this.oldest; e !== null; e = e.newer) {
      e.chain = buckets[e.hash & mask] as CacheEntry | null;
      buckets[e.hash & mask] = e;
    }
    this.buckets = buckets;
    this.mask = mask;
  }
}

function state(e: CacheEntry | null, now: number, staleMs: number): Lookup {
  if (e === null) return MISS;
  if (now < e.expiresAt) return { state: 'fresh', entry: e };
  if (e.kind !== 'servfail' && now < e.expiresAt + staleMs) return { state: 'stale', entry: e };
  return MISS;
}

function sizeOf(e: CacheEntry, key: string): number {
  return e.data.length + key.length + ENTRY_OVERHEAD;
}

/** FNV-1a over the key's characters (bytes): what findQuery computes from a query's bytes. */
function hashKey(key: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), FNV_PRIME);
  return hash | 0;
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
