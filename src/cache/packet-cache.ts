// The answer cache: entries by key, least recently used first out, bounded in entries and bytes.
// Expired entries stay while they may still be served stale (RFC 8767).
//
// Nothing in it is a JavaScript object per entry. An entry is a slot number: its fields are
// typed arrays indexed by slot (hash, chain in the hash table, its neighbours in the LRU list,
// times, lengths, kind, zone), and its key and stored message are bytes in one arena, a Buffer
// the cache owns. So the entries are not on V8's heap: a full cache costs the garbage collector
// nothing to trace, and an evicted entry leaves no garbage behind (under a stream of misses one
// entry is evicted per query, and entry objects lived long enough to be promoted to old space,
// where they made most of the full collections). The arena is filled from one end; when it is
// full the live entries are moved together (compact), and it grows (or shrinks) to keep between
// a quarter and a half of it free after that, so moving costs a fraction of a copy per stored byte.
//
// A key is the string wire/question-key.ts makes; a client's query is looked up from its bytes
// without making that string (findQuery): the hash and the comparison read the bytes as the
// key's characters. What a caller holds across an await (a stale entry, `dnsfwd explain`) is a
// copy made by entryAt().
import { lowerAscii, presentationToWire } from '../wire/name.js';
import type { Question } from '../wire/question.js';
import { keyFlags } from '../wire/question-key.js';
import { CacheEntry, renderStored, type EntryDraft, type EntryKind } from './entry.js';

/** Bytes an entry counts beyond its data and key: its slots in the tables (an estimate, for max_bytes). */
const ENTRY_OVERHEAD = 180;
const MIN_BUCKETS = 16;
const MIN_SLOTS = 64;
const MIN_ARENA = 64 * 1024;
/** After a compaction, the arena grows when more than this share of it is taken, ... */
const GROW_ABOVE = 0.75;
/** ... shrinks when less than this share is, ... */
const SHRINK_BELOW = 0.25;
/** ... and is then made this many times what is taken. */
const ROOM = 1.5;
/** Slot numbers are below this (cache.size is at most 1,000,000): offset × SLOT_SPAN + slot sorts by offset. */
const SLOT_SPAN = 1 << 20;
const NONE = -1;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const KINDS: readonly EntryKind[] = ['positive', 'negative', 'servfail'];
const SERVFAIL = 2;

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
  // Per slot.
  private hashes = new Int32Array(0);
  /** The next slot in the same hash bucket. */
  private chains = new Int32Array(0);
  /** Neighbours in the LRU list: the next older and the next newer entry. */
  private olders = new Int32Array(0);
  private newers = new Int32Array(0);
  private storedAts = new Float64Array(0);
  private expiresAts = new Float64Array(0);
  /** Where the entry's bytes start in the arena: the key, then the message, then its TTL offsets. */
  private offsets = new Int32Array(0);
  private keyLengths = new Int32Array(0);
  /** The message's length, and the length of the message and its TTL offsets (two bytes each). */
  private sizes = new Int32Array(0);
  private dataLengths = new Int32Array(0);
  private kinds = new Uint8Array(0);
  private zoneIds = new Uint16Array(0);
  private prefetchings = new Uint8Array(0);
  /** The stamp each slot's entry was stored with, so that a late prefetch does not clear a newer entry's flag. */
  private generations = new Uint32Array(0);
  /** Counts the entries stored, never reset (not by clear either): each one's stamp. */
  private stamp = 0;
  /** Slots free below `used`. */
  private free = new Int32Array(0);
  private freeCount = 0;
  private used = 0;

  private buckets = new Int32Array(MIN_BUCKETS).fill(NONE);
  private mask = MIN_BUCKETS - 1;
  private oldest = NONE;
  private newest = NONE;
  private count = 0;

  private arena = Buffer.allocUnsafeSlow(MIN_ARENA);
  /** The arena's first unwritten byte, and the bytes live entries take in it. */
  private top = 0;
  private liveBytes = 0;

  /** The routes' zones, by number (an entry keeps its zone's number). */
  private zones: string[] = [];
  private zoneNumbers = new Map<string, number>();
  private readonly max: number;

  constructor(private readonly limits: CacheLimits) {
    this.max = Math.max(1, limits.size);
  }

  /** What the cache holds for `key`, as a client's query would find it (the entry becomes the most recently used). */
  lookup(key: string, now: number): Lookup {
    return this.state(this.live(this.findKey(key), now), now);
  }

  /**
   * The slot of the entry for the client's query in `query` (its key: questionKey(query, q)),
   * fresh or stale, or -1; it becomes the most recently used. The hit path: no key string is made.
   */
  findQuery(query: Uint8Array, q: Question, now: number): number {
    const end = q.end;
    const nameEnd = end - 4;
    const flags = keyFlags(query, q);
    let hash = FNV_OFFSET;
    for (let i = 12; i < nameEnd; i++) hash = Math.imul(hash ^ lowerAscii(query[i]!), FNV_PRIME);
    for (let i = nameEnd; i < end; i++) hash = Math.imul(hash ^ query[i]!, FNV_PRIME);
    hash = Math.imul(hash ^ flags, FNV_PRIME) | 0;
    const length = end - 12 + 1;
    const a = this.arena;
    let s = this.buckets[hash & this.mask]!;
    for (; s !== NONE; s = this.chains[s]!) {
      if (this.hashes[s] !== hash || this.keyLengths[s] !== length) continue;
      const k = this.offsets[s]! - 12;
      if (a[k + end] !== flags) continue;
      let i = 12;
      while (i < nameEnd && a[k + i] === lowerAscii(query[i]!)) i++;
      if (i < nameEnd) continue;
      while (i < end && a[k + i] === query[i]) i++;
      if (i === end) break;
    }
    return this.live(s, now);
  }

  /** When the entry in `slot` expires (ms), and when it was stored. */
  expiresAt(slot: number): number {
    return this.expiresAts[slot]!;
  }

  storedAt(slot: number): number {
    return this.storedAts[slot]!;
  }

  /** The reply to the client's `query` from the entry in `slot` (entry.ts, renderStored). */
  render(slot: number, query: Buffer, q: Question, now: number, stale: boolean): Buffer {
    const at = this.offsets[slot]! + this.keyLengths[slot]!;
    return renderStored(this.arena, at, this.sizes[slot]!, at + this.dataLengths[slot]!, this.storedAts[slot]!, query, q, now, stale);
  }

  /** A copy of the entry in `slot`, for a caller that holds it while the cache goes on changing. */
  entryAt(slot: number): CacheEntry {
    const at = this.offsets[slot]! + this.keyLengths[slot]!;
    const data = Buffer.allocUnsafeSlow(this.dataLengths[slot]!);
    this.arena.copy(data, 0, at, at + data.length);
    const e = new CacheEntry(KINDS[this.kinds[slot]!]!, data, this.sizes[slot]!, this.storedAts[slot]!, this.expiresAts[slot]!, this.zones[this.zoneIds[slot]!]!);
    e.prefetching = this.prefetchings[slot] === 1;
    return e;
  }

  /**
   * Marks the entry in `slot` as being refreshed in the background, unless it is already or is a
   * SERVFAIL. Returns a token for prefetchDone, or -1 when nothing is to be done.
   */
  startPrefetch(slot: number): number {
    if (this.prefetchings[slot] === 1 || this.kinds[slot] === SERVFAIL) return NONE;
    this.prefetchings[slot] = 1;
    return this.generations[slot]!;
  }

  /** The refresh started with this token is over: the entry (if the slot still holds it) may be refreshed again. */
  prefetchDone(slot: number, token: number): void {
    if (this.generations[slot] === token) this.prefetchings[slot] = 0;
  }

  /** The route the entry in `slot` came through. */
  zoneOf(slot: number): string {
    return this.zones[this.zoneIds[slot]!]!;
  }

  /**
   * What lookup() would find, without its effects: the entry keeps its place in the LRU order, and
   * an expired one is not deleted (`dnsfwd explain` looks without changing anything).
   */
  peek(key: string, now: number): Lookup {
    return this.state(this.findKey(key), now);
  }

  /** Stores a copy of `entry` under `key`; a SERVFAIL never replaces an answer that could still be served stale. */
  store(key: string, entry: CacheEntry): void {
    this.insert(key, entry.kind, entry.data, entry.data.length, entry.size, entry.storedAt, entry.expiresAt, entry.zone);
  }

  /** store() for the entry draftEntry() made (copied: the draft is reused), learned through `zone`. */
  storeDraft(key: string, d: EntryDraft, zone: string): void {
    this.insert(key, d.kind, d.bytes, d.length, d.size, d.storedAt, d.expiresAt, zone);
  }

  /** Stores the entry whose data is bytes [0, dataLength) of `data`. */
  private insert(key: string, kind: EntryKind, data: Uint8Array, dataLength: number, size: number, storedAt: number, expiresAt: number, zone: string): void {
    const hash = hashKey(key);
    const old = this.findKey(key, hash);
    if (old !== NONE) {
      if (kind === 'servfail') return;
      this.remove(old);
    }
    const keyLength = key.length;
    const cost = dataLength + keyLength + ENTRY_OVERHEAD;
    if (cost > this.limits.maxBytes) return;
    while (this.count > 0 && (this.count >= this.max || this.bytes + cost > this.limits.maxBytes)) this.remove(this.oldest);
    const s = this.takeSlot();
    const at = this.place(keyLength + dataLength);
    const a = this.arena;
    for (let i = 0; i < keyLength; i++) a[at + i] = key.charCodeAt(i);
    a.set(new Uint8Array(data.buffer, data.byteOffset, dataLength), at + keyLength);
    this.hashes[s] = hash;
    this.offsets[s] = at;
    this.keyLengths[s] = keyLength;
    this.sizes[s] = size;
    this.dataLengths[s] = dataLength;
    this.storedAts[s] = storedAt;
    this.expiresAts[s] = expiresAt;
    this.kinds[s] = KINDS.indexOf(kind);
    this.zoneIds[s] = this.zoneNumber(zone);
    this.prefetchings[s] = 0;
    this.generations[s] = this.stamp = (this.stamp + 1) >>> 0;
    const bucket = hash & this.mask;
    this.chains[s] = this.buckets[bucket]!;
    this.buckets[bucket] = s;
    this.olders[s] = this.newest;
    this.newers[s] = NONE;
    if (this.newest !== NONE) this.newers[this.newest] = s;
    else this.oldest = s;
    this.newest = s;
    this.count++;
    this.liveBytes += keyLength + dataLength;
    if (this.count > this.buckets.length) this.rehash(this.buckets.length * 2);
  }

  /** Drops every entry learned through `zone` (its servers changed). Returns how many. */
  dropZone(zone: string): number {
    const id = this.zoneNumbers.get(zone);
    return id === undefined ? 0 : this.dropWhere((s) => this.zoneIds[s] === id);
  }

  /**
   * Drops every entry whose name is `zone` or below it (`zone` in presentation form, '' for the
   * root), whatever its type, kind or age. Returns how many.
   */
  dropUnder(zone: string): number {
    const suffix = Array.from(presentationToWire(zone), lowerAscii);
    return this.dropWhere((s) => this.nameUnder(s, suffix));
  }

  /** Drops every entry, and gives back the memory they took. Returns how many there were. */
  clear(): number {
    const n = this.count;
    this.setSlots(0);
    this.free = new Int32Array(0);
    this.freeCount = this.used = 0;
    this.buckets = new Int32Array(MIN_BUCKETS).fill(NONE);
    this.mask = MIN_BUCKETS - 1;
    this.oldest = this.newest = NONE;
    this.count = 0;
    this.arena = Buffer.allocUnsafeSlow(MIN_ARENA);
    this.top = this.liveBytes = 0;
    this.zones = [];
    this.zoneNumbers.clear();
    return n;
  }

  get entries(): number {
    return this.count;
  }

  get bytes(): number {
    return this.liveBytes + this.count * ENTRY_OVERHEAD;
  }

  /** The arena's size in bytes (its memory: the entries' keys and messages, and room for more). */
  get arenaBytes(): number {
    return this.arena.length;
  }

  private state(s: number, now: number): Lookup {
    if (s === NONE) return MISS;
    const expiresAt = this.expiresAts[s]!;
    if (now < expiresAt) return { state: 'fresh', entry: this.entryAt(s) };
    if (this.kinds[s] !== SERVFAIL && now < expiresAt + this.limits.staleMs) return { state: 'stale', entry: this.entryAt(s) };
    return MISS;
  }

  private dropWhere(doomed: (s: number) => boolean): number {
    let n = 0;
    for (let s = this.oldest; s !== NONE; ) {
      const next = this.newers[s]!;
      if (doomed(s)) {
        this.remove(s);
        n++;
      }
      s = next;
    }
    return n;
  }

  private findKey(key: string, hash = hashKey(key)): number {
    const length = key.length;
    const a = this.arena;
    for (let s = this.buckets[hash & this.mask]!; s !== NONE; s = this.chains[s]!) {
      if (this.hashes[s] !== hash || this.keyLengths[s] !== length) continue;
      const at = this.offsets[s]!;
      let i = 0;
      while (i < length && a[at + i] === key.charCodeAt(i)) i++;
      if (i === length) return s;
    }
    return NONE;
  }

  /** `s` unless it is too old even to serve stale (then it is dropped); made the most recently used. */
  private live(s: number, now: number): number {
    if (s === NONE) return NONE;
    const expiresAt = this.expiresAts[s]!;
    if (now >= expiresAt && (this.kinds[s] === SERVFAIL || now >= expiresAt + this.limits.staleMs)) {
      this.remove(s);
      return NONE;
    }
    if (s !== this.newest) {
      // Unlink, then append at the newest end.
      const older = this.olders[s]!;
      const newer = this.newers[s]!;
      if (older !== NONE) this.newers[older] = newer;
      else this.oldest = newer;
      this.olders[newer] = older;
      this.olders[s] = this.newest;
      this.newers[s] = NONE;
      this.newers[this.newest] = s;
      this.newest = s;
    }
    return s;
  }

  private remove(s: number): void {
    const bucket = this.hashes[s]! & this.mask;
    let p = this.buckets[bucket]!;
    if (p === s) this.buckets[bucket] = this.chains[s]!;
    else {
      while (this.chains[p] !== s) p = this.chains[p]!;
      this.chains[p] = this.chains[s]!;
    }
    const older = this.olders[s]!;
    const newer = this.newers[s]!;
    if (older !== NONE) this.newers[older] = newer;
    else this.oldest = newer;
    if (newer !== NONE) this.olders[newer] = older;
    else this.newest = older;
    const bytes = this.keyLengths[s]! + this.dataLengths[s]!;
    this.count--;
    this.liveBytes -= bytes;
    this.free[this.freeCount++] = s;
  }

  /** A free slot, the tables grown if every one is taken. */
  private takeSlot(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount]!;
    if (this.used === this.hashes.length) this.setSlots(Math.min(this.max, Math.max(MIN_SLOTS, this.used * 2)));
    return this.used++;
  }

  /** Gives every per-slot table room for `n` slots, keeping what the first `used` hold. */
  private setSlots(n: number): void {
    const keep = Math.min(this.used, n);
    const grow = <T extends Int32Array | Float64Array | Uint8Array | Uint16Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(old.subarray(0, keep));
      return next;
    };
    this.hashes = grow(this.hashes, (n) => new Int32Array(n));
    this.chains = grow(this.chains, (n) => new Int32Array(n));
    this.olders = grow(this.olders, (n) => new Int32Array(n));
    this.newers = grow(this.newers, (n) => new Int32Array(n));
    this.storedAts = grow(this.storedAts, (n) => new Float64Array(n));
    this.expiresAts = grow(this.expiresAts, (n) => new Float64Array(n));
    this.offsets = grow(this.offsets, (n) => new Int32Array(n));
    this.keyLengths = grow(this.keyLengths, (n) => new Int32Array(n));
    this.sizes = grow(this.sizes, (n) => new Int32Array(n));
    this.dataLengths = grow(this.dataLengths, (n) => new Int32Array(n));
    this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
    this.zoneIds = grow(this.zoneIds, (n) => new Uint16Array(n));
    this.prefetchings = grow(this.prefetchings, (n) => new Uint8Array(n));
    this.generations = grow(this.generations, (n) => new Uint32Array(n));
    this.free = grow(this.free, (n) => new Int32Array(n));
  }

  /** Where `n` bytes go in the arena: at its top, after compacting and resizing it if they do not fit. */
  private place(n: number): number {
    if (this.top + n > this.arena.length) {
      this.compact();
      const taken = this.liveBytes + n;
      const size = this.arena.length;
      if (taken > size * GROW_ABOVE || (taken < size * SHRINK_BELOW && size > MIN_ARENA)) {
        const next = Buffer.allocUnsafeSlow(Math.max(MIN_ARENA, Math.ceil(taken * ROOM)));
        this.arena.copy(next, 0, 0, this.top);
        this.arena = next;
      }
    }
    const at = this.top;
    this.top += n;
    return at;
  }

  /** Moves the live entries' bytes together at the arena's start, in the order they are in it. */
  private compact(): void {
    const order = new Float64Array(this.count);
    let n = 0;
    for (let s = this.oldest; s !== NONE; s = this.newers[s]!) order[n++] = this.offsets[s]! * SLOT_SPAN + s;
    order.sort();
    let to = 0;
    for (let i = 0; i < n; i++) {
      const s = order[i]! % SLOT_SPAN;
      const from = this.offsets[s]!;
      const length = this.keyLengths[s]! + this.dataLengths[s]!;
      if (from !== to) this.arena.copyWithin(to, from, from + length);
      this.offsets[s] = to;
      to += length;
    }
    this.top = to;
  }

  private zoneNumber(zone: string): number {
    let id = this.zoneNumbers.get(zone);
    if (id === undefined) {
      id = this.zones.length;
      this.zones.push(zone);
      this.zoneNumbers.set(zone, id);
    }
    return id;
  }

  private rehash(n: number): void {
    const buckets = new Int32Array(n).fill(NONE);
    const mask = n - 1;
    for (let s = this.oldest; s !== NONE; s = this.newers[s]!) {
      const b = this.hashes[s]! & mask;
      this.chains[s] = buckets[b]!;
      buckets[b] = s;
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  /**
   * Whether the name the key of `s` starts with (wire format, lower case: question-key.ts) ends
   * with the wire name `suffix` at a label boundary.
   */
  private nameUnder(s: number, suffix: readonly number[]): boolean {
    const a = this.arena;
    const start = this.offsets[s]!;
    const end = start + this.keyLengths[s]!;
    for (let pos = start; pos < end; pos += a[pos]! + 1) {
      let i = 0;
      while (i < suffix.length && pos + i < end && a[pos + i] === suffix[i]) i++;
      if (i === suffix.length) return true;
      if (a[pos] === 0) return false;
    }
    return false;
  }
}

/** FNV-1a over the key's characters (bytes): what findQuery computes from a query's bytes. */
function hashKey(key: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), FNV_PRIME);
  return hash | 0;
}
