// A cache entry: an upstream reply stored as bytes (OPT removed) with the offsets of its TTL
// fields, and how to turn it back into a reply for a client without decoding it.
// The bytes are kept in a latin1 string of the entry's own, not in a Buffer: a small Buffer is a
// slice of Node's shared 8 KiB pool and keeps that whole slab alive, and a Buffer with memory of
// its own costs some 300 bytes of bookkeeping (ArrayBuffer, backing store) beside its data. A
// one-byte string costs 16 bytes beside its data and lives on the V8 heap. It holds the message,
// its TTLs as stored (clamped), then each TTL field's offset as two characters.
import { stampClient } from '../wire/client-reply.js';
import * as h from '../wire/header.js';
import { appendOpt, OPT_SIZE } from '../wire/opt.js';
import type { Question } from '../wire/question.js';
import { analyseReply, writeTtl } from '../wire/reply-shape.js';
import type { CacheConfig } from './config.js';

/** Buffer's own latin1 copies (not in @types/node): one memcpy between a Buffer and a one-byte string. */
interface Latin1 {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length: number): number;
}
const latin1 = (b: Buffer) => b as unknown as Latin1;

/** TTL of records served stale (RFC 8767 §4). */
const STALE_TTL = 30;

export type EntryKind = 'positive' | 'negative' | 'servfail';

export class CacheEntry {
  /** A background refresh is under way. */
  prefetching = false;
  /** The entry's key and its hash, and its links in the cache's table and LRU list (packet-cache.ts). */
  key = '';
  hash = 0;
  chain: CacheEntry | null = null;
  older: CacheEntry | null = null;
  newer: CacheEntry | null = null;
  /** Milliseconds from storedAt to expiresAt: a small integer, where a second time would be a boxed double. */
  private readonly lifetime: number;

  constructor(
    readonly kind: EntryKind,
    /** The message (length `size`, TTLs as stored), then the TTL offsets as 16-bit pairs of characters. */
    readonly data: string,
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
    return Buffer.from(this.data.slice(0, this.size), 'latin1');
  }

  /** Every TTL field as a pair: its offset in `bytes`, then the TTL as stored (clamped). */
  get ttlFields(): number[] {
    const out: number[] = [];
    const d = this.data;
    for (let i = this.size; i < d.length; i += 2) {
      const off = (d.charCodeAt(i) << 8) | d.charCodeAt(i + 1);
      out.push(off, readStoredTtl(d, off));
    }
    return out;
  }
}

/** A new entry for `message` (copied) with TTL fields at `ttlOffsets`, as stored in the message. */
export function cacheEntry(kind: EntryKind, message: Uint8Array, ttlOffsets: readonly number[], storedAt: number, expiresAt: number, zone: string): CacheEntry {
  const size = message.length;
  const scratch = Buffer.allocUnsafe(size + 2 * ttlOffsets.length);
  scratch.set(message);
  for (let i = 0; i < ttlOffsets.length; i++) {
    scratch[size + 2 * i] = ttlOffsets[i]! >>> 8;
    scratch[size + 2 * i + 1] = ttlOffsets[i]! & 0xff;
  }
  // A flat one-byte string of its own (the scratch Buffer is garbage once it is made).
  return new CacheEntry(kind, latin1(scratch).latin1Slice(0, scratch.length), size, storedAt, expiresAt, zone);
}

export type EntryPolicy = Pick<CacheConfig, 'minTtl' | 'maxTtl' | 'negativeMaxTtl' | 'servfailTtl'>;

/** Why a reply is not cached, or the entry to store (RFC 2308 for negative answers). */
export function makeEntry(reply: Buffer, questionEnd: number, zone: string, policy: EntryPolicy, now: number): CacheEntry | string {
  if (h.isTruncated(reply)) return 'truncated';
  const rcode = h.rcode(reply);
  if (rcode === h.Rcode.SERVFAIL) return servfailEntry(reply, questionEnd, zone, policy, now);
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
  const scratch = Buffer.allocUnsafe(length + 2 * n);
  reply.copy(scratch, 0, 0, length);
  if (shape.optStart >= 0) h.writeArcount(scratch, h.arcount(scratch) - 1);
  scratch[2]! &= ~0x04; // AA: a cached answer is not authoritative
  for (let i = 0; i < n; i++) {
    const off = fields[2 * i]!;
    writeTtl(scratch, off, fields[2 * i + 1]!);
    scratch[length + 2 * i] = off >>> 8;
    scratch[length + 2 * i + 1] = off & 0xff;
  }
  const kind = negative ? 'negative' : 'positive';
  return new CacheEntry(kind, latin1(scratch).latin1Slice(0, scratch.length), length, now, now + lifetime * 1000, zone);
}

function servfailEntry(reply: Buffer, questionEnd: number, zone: string, policy: EntryPolicy, now: number): CacheEntry | string {
  if (policy.servfailTtl === 0) return 'SERVFAIL (servfail_ttl 0)';
  const scratch = Buffer.allocUnsafe(questionEnd);
  reply.copy(scratch, 0, 0, questionEnd);
  h.writeCounts(scratch, 1, 0, 0, 0);
  return new CacheEntry('servfail', latin1(scratch).latin1Slice(0, questionEnd), questionEnd, now, now + policy.servfailTtl * 1000, zone);
}

/** The TTL stored at `off` of an entry's data (at most 2^31 - 1: reply-shape.ts reads larger ones as 0). */
function readStoredTtl(d: string, off: number): number {
  return d.charCodeAt(off) * 0x1000000 + ((d.charCodeAt(off + 1) << 16) | (d.charCodeAt(off + 2) << 8) | d.charCodeAt(off + 3));
}

/**
 * The reply for this client: the stored bytes with its ID, its question name bytes (its 0x20
 * case) and RD bit, TTLs aged by the time in cache (or STALE_TTL), and an OPT record when the
 * client sent one (RFC 6891 §7), carrying its DO bit (RFC 3225 §3).
 */
export function renderEntry(e: CacheEntry, query: Buffer, q: Question, now: number, stale: boolean): Buffer {
  const edns = q.edns;
  const len = e.size;
  const out = Buffer.allocUnsafe(edns ? len + OPT_SIZE : len);
  latin1(out).latin1Write(e.data, 0, len); // one memcpy
  stampClient(out, query, q);
  const d = e.data;
  if (d.length > len) {
    const age = Math.floor((now - e.storedAt) / 1000);
    for (let i = len; i < d.length; i += 2) {
      const off = (d.charCodeAt(i) << 8) | d.charCodeAt(i + 1);
      const ttl = stale ? STALE_TTL : out[off]! * 0x1000000 + ((out[off + 1]! << 16) | (out[off + 2]! << 8) | out[off + 3]!) - age;
      writeTtl(out, off, ttl > 0 ? ttl : 0);
    }
  }
  if (edns) appendOpt(out, len, edns.dnssecOk);
  return out;
}
