// A cache entry: an upstream reply stored as bytes (OPT removed) with the offsets of its TTL
// fields, and how to turn it back into a reply for a client without decoding it. The cache keeps
// the bytes in its own arena, not an object (packet-cache.ts); a CacheEntry is a copy it hands
// out (entryAt) or one made apart from it (makeEntry), and the miss path hands it an EntryDraft.
// The data is the message, its TTLs as stored (clamped), then each TTL field's offset as two bytes.
import { stampClient } from '../wire/client-reply.js';
import * as h from '../wire/header.js';
import { appendOpt, OPT_SIZE } from '../wire/opt.js';
import type { Question } from '../wire/question.js';
import { analyseReply, writeTtl } from '../wire/reply-shape.js';
import type { CacheConfig } from './config.js';

/** TTL of records served stale (RFC 8767 §4). */
const STALE_TTL = 30;

export type EntryKind = 'positive' | 'negative' | 'servfail';

export class CacheEntry {
  /** A background refresh is under way (in a copy from the cache: was when it was made). */
  prefetching = false;
  /** Milliseconds from storedAt to expiresAt. */
  private readonly lifetime: number;

  constructor(
    readonly kind: EntryKind,
    /** The message (length `size`, TTLs as stored), then the TTL offsets as 16-bit pairs of bytes. */
    readonly data: Buffer,
    readonly size: number,
    readonly storedAt: number,
    expiresAt: number,
    /** The route the answer came through, so a change of its servers can drop it. */
    readonly zone: string,
  ) {
    this.lifetime = expiresAt - storedAt;
  }

  get expiresAt(): number {
    return this.storedAt + this.lifetime;
  }

  /** The stored message (ID and question name are the client's on each hit): a copy. */
  get bytes(): Buffer {
    return Buffer.from(this.data.subarray(0, this.size));
  }

  /** Every TTL field as a pair: its offset in `bytes`, then the TTL as stored (clamped). */
  get ttlFields(): number[] {
    const out: number[] = [];
    const d = this.data;
    for (let i = this.size; i < d.length; i += 2) {
      const off = (d[i]! << 8) | d[i + 1]!;
      out.push(off, readTtl(d, off));
    }
    return out;
  }
}

/** A new entry for `message` (copied) with TTL fields at `ttlOffsets`, as stored in the message. */
export function cacheEntry(kind: EntryKind, message: Uint8Array, ttlOffsets: readonly number[], storedAt: number, expiresAt: number, zone: string): CacheEntry {
  const size = message.length;
  const data = Buffer.allocUnsafe(size + 2 * ttlOffsets.length);
  data.set(message);
  for (let i = 0; i < ttlOffsets.length; i++) {
    data[size + 2 * i] = ttlOffsets[i]! >>> 8;
    data[size + 2 * i + 1] = ttlOffsets[i]! & 0xff;
  }
  return new CacheEntry(kind, data, size, storedAt, expiresAt, zone);
}

export type EntryPolicy = Pick<CacheConfig, 'minTtl' | 'maxTtl' | 'negativeMaxTtl' | 'servfailTtl'>;

/**
 * An entry as draftEntry() builds it from a reply, before the cache copies it into its arena: one
 * object for the life of the process, filled again by each call (valid until the next one). Not an
 * object per miss: the cache keeps no entry objects, so a class made for each miss would at times
 * have no instance left at a full GC; V8 then collects its map and throws away the optimized code
 * of every function built on that map (`--trace-deopt`: "marking dependent code ... reason: weak
 * objects"), and compiles it again: several times a second under misses, each compile holding the
 * event loop for up to 16 ms and taking megabytes of the C heap for its work.
 */
export class EntryDraft {
  kind: EntryKind = 'positive';
  /** The entry's data is bytes [0, length): the message (its first `size` bytes), then its TTL offsets. */
  bytes = Buffer.allocUnsafeSlow(4096);
  length = 0;
  size = 0;
  /** Times in ms; not small integers, so they start as doubles (the map never changes representation). */
  storedAt = 0.5;
  expiresAt = 0.5;

  /** `bytes` with room for `n` bytes (what it held is not kept). */
  room(n: number): Buffer {
    if (this.bytes.length < n) this.bytes = Buffer.allocUnsafeSlow(Math.max(n, 2 * this.bytes.length));
    return this.bytes;
  }
}

const draft = new EntryDraft();

/** Why a reply is not cached, or the entry to store (RFC 2308 for negative answers), as a new object of its own. */
export function makeEntry(reply: Buffer, questionEnd: number, zone: string, policy: EntryPolicy, now: number): CacheEntry | string {
  const d = draftEntry(reply, questionEnd, policy, now);
  if (typeof d === 'string') return d;
  return new CacheEntry(d.kind, Buffer.from(d.bytes.subarray(0, d.length)), d.size, d.storedAt, d.expiresAt, zone);
}

/** What makeEntry() makes, in the one EntryDraft (valid until the next call): the miss path's way. */
export function draftEntry(reply: Buffer, questionEnd: number, policy: EntryPolicy, now: number): EntryDraft | string {
  if (h.isTruncated(reply)) return 'truncated';
  const rcode = h.rcode(reply);
  if (rcode === h.Rcode.SERVFAIL) return servfailDraft(reply, questionEnd, policy, now);
  if (rcode !== h.Rcode.NOERROR && rcode !== h.Rcode.NXDOMAIN) return `rcode ${rcode}`;
  const shape = analyseReply(reply, questionEnd);
  if (!shape) return 'records do not parse';
  if (shape.optStart >= 0 && shape.optEnd !== shape.end) return 'OPT is not the last record';
  const negative = rcode === h.Rcode.NXDOMAIN || h.ancount(reply) === 0;
  const fields = shape.ttlFields; // [offset, ttl, …]: clamped in place, then written into the entry
  let lifetime = Infinity;
  if (negative) {
    if (shape.negativeTtl <= 0) return shape.negativeTtl < 0 ? 'negative answer without SOA' : 'SOA gives TTL 0';
    const ttl = Math.min(shape.negativeTtl, policy.negativeMaxTtl);
    if (ttl === 0) return 'negative caching off';
    for (let i = 1; i < fields.length; i += 2) lifetime = Math.min(lifetime, (fields[i] = Math.min(fields[i]!, ttl)));
  } else {
    for (let i = 1; i < fields.length; i += 2) {
      if (fields[i] === 0) return 'TTL 0';
      lifetime = Math.min(lifetime, (fields[i] = Math.min(Math.max(fields[i]!, policy.minTtl), policy.maxTtl)));
    }
  }
  const length = shape.optStart >= 0 ? shape.optStart : shape.end;
  const n = fields.length / 2;
  const out = draft.room(length + 2 * n);
  reply.copy(out, 0, 0, length);
  if (shape.optStart >= 0) h.writeArcount(out, h.arcount(out) - 1);
  out[2]! &= ~0x04; // AA: a cached answer is not authoritative
  for (let i = 0; i < n; i++) {
    const off = fields[2 * i]!;
    writeTtl(out, off, fields[2 * i + 1]!);
    out[length + 2 * i] = off >>> 8;
    out[length + 2 * i + 1] = off & 0xff;
  }
  return fill(negative ? 'negative' : 'positive', length + 2 * n, length, now, now + lifetime * 1000);
}

function servfailDraft(reply: Buffer, questionEnd: number, policy: EntryPolicy, now: number): EntryDraft | string {
  if (policy.servfailTtl === 0) return 'SERVFAIL (servfail_ttl 0)';
  const out = draft.room(questionEnd);
  reply.copy(out, 0, 0, questionEnd);
  h.writeCounts(out, 1, 0, 0, 0);
  return fill('servfail', questionEnd, questionEnd, now, now + policy.servfailTtl * 1000);
}

function fill(kind: EntryKind, length: number, size: number, storedAt: number, expiresAt: number): EntryDraft {
  draft.kind = kind;
  draft.length = length;
  draft.size = size;
  draft.storedAt = storedAt;
  draft.expiresAt = expiresAt;
  return draft;
}

/** The TTL field at `off` of `b` (at most 2^31 - 1: reply-shape.ts reads larger ones as 0). */
function readTtl(b: Uint8Array, off: number): number {
  return b[off]! * 0x1000000 + ((b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!);
}

/**
 * The reply for this client: the stored bytes with its ID, its question name bytes (its 0x20
 * case) and RD bit, TTLs aged by the time in cache (or STALE_TTL), and an OPT record when the
 * client sent one (RFC 6891 §7), carrying its DO bit (RFC 3225 §3).
 */
export function renderEntry(e: CacheEntry, query: Buffer, q: Question, now: number, stale: boolean): Buffer {
  return renderStored(e.data, 0, e.size, e.data.length, e.storedAt, query, q, now, stale);
}

/**
 * renderEntry for an entry whose data is `src` from `at` to `end` (the message is its first
 * `size` bytes), stored at `storedAt`: the cache renders from its arena with it.
 */
export function renderStored(src: Uint8Array, at: number, size: number, end: number, storedAt: number, query: Buffer, q: Question, now: number, stale: boolean): Buffer {
  const edns = q.edns;
  const out = Buffer.allocUnsafe(edns ? size + OPT_SIZE : size);
  out.set(new Uint8Array(src.buffer, src.byteOffset + at, size)); // one memcpy
  stampClient(out, query, q);
  if (end > at + size) {
    const age = Math.floor((now - storedAt) / 1000);
    for (let i = at + size; i < end; i += 2) {
      const off = (src[i]! << 8) | src[i + 1]!;
      const ttl = stale ? STALE_TTL : readTtl(out, off) - age;
      writeTtl(out, off, ttl > 0 ? ttl : 0);
    }
  }
  if (edns) appendOpt(out, size, edns.dnssecOk);
  return out;
}
