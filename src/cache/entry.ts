// A cache entry: an upstream reply stored as bytes (OPT removed) with the offsets and values of
// its TTL fields, and how to turn it back into a reply for a client without decoding it.
import { stampClient } from '../wire/client-reply.js';
import * as h from '../wire/header.js';
import { appendOpt, OPT_SIZE } from '../wire/opt.js';
import type { Question } from '../wire/question.js';
import { analyseReply, writeTtl } from '../wire/reply-shape.js';
import type { CacheConfig } from './config.js';

/** TTL of records served stale (RFC 8767 §4). */
const STALE_TTL = 30;

export type EntryKind = 'positive' | 'negative' | 'servfail';

export interface CacheEntry {
  readonly kind: EntryKind;
  /** The reply without its OPT record; ID and question name are the client's on each hit. */
  readonly bytes: Buffer;
  /**
   * Every TTL field as a pair: its offset in `bytes`, then the TTL as stored (clamped), aged on
   * each hit by the time spent in the cache. One small-integer array: a few bytes per field.
   */
  readonly ttlFields: readonly number[];
  readonly storedAt: number;
  readonly expiresAt: number;
  /** The route the answer came through, so a change of its servers can drop it. */
  readonly zone: string;
  /** A background refresh is under way. */
  prefetching: boolean;
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
  const fields = shape.ttlFields; // [offset, ttl, …]: clamped in place, then kept by the entry
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
  const bytes = Buffer.allocUnsafe(length);
  reply.copy(bytes, 0, 0, length);
  if (shape.optStart >= 0) h.writeArcount(bytes, h.arcount(bytes) - 1);
  bytes[2]! &= ~0x04; // AA: a cached answer is not authoritative
  return {
    kind: negative ? 'negative' : 'positive',
    bytes,
    ttlFields: fields,
    storedAt: now,
    expiresAt: now + lifetime * 1000,
    zone,
    prefetching: false,
  };
}

function servfailEntry(reply: Buffer, questionEnd: number, zone: string, policy: EntryPolicy, now: number): CacheEntry | string {
  if (policy.servfailTtl === 0) return 'SERVFAIL (servfail_ttl 0)';
  const bytes = Buffer.from(reply.subarray(0, questionEnd));
  h.writeCounts(bytes, 1, 0, 0, 0);
  return { kind: 'servfail', bytes, ttlFields: [], storedAt: now, expiresAt: now + policy.servfailTtl * 1000, zone, prefetching: false };
}

/**
 * The reply for this client: the stored bytes with its ID, its question name bytes (its 0x20
 * case) and RD bit, TTLs aged by the time in cache (or STALE_TTL), and an OPT record when the
 * client sent one (RFC 6891 §7), carrying its DO bit (RFC 3225 §3).
 */
export function renderEntry(e: CacheEntry, query: Buffer, q: Question, now: number, stale: boolean): Buffer {
  const optLen = q.edns ? OPT_SIZE : 0;
  const len = e.bytes.length;
  const out = Buffer.allocUnsafe(len + optLen);
  out.set(e.bytes); // TypedArray#set: a memcpy without a call into C++
  stampClient(out, query, q);
  const age = Math.floor((now - e.storedAt) / 1000);
  const fields = e.ttlFields;
  for (let i = 0; i < fields.length; i += 2) {
    const ttl = stale ? STALE_TTL : fields[i + 1]! - age;
    writeTtl(out, fields[i]!, ttl > 0 ? ttl : 0);
  }
  if (q.edns) appendOpt(out, len, q.edns.dnssecOk);
  return out;
}
