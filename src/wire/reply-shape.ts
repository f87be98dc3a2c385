// What the cache needs from an upstream reply, found in one walk over its records: where every
// TTL field is (never the OPT record's, RFC 6891 §6.1.3), the OPT record's span, and the negative
// TTL its SOA gives (RFC 2308 §5: the smaller of the SOA's TTL and its MINIMUM field).
import * as h from './header.js';
import { MIN_RECORD_SIZE, TYPE_OPT, TYPE_SOA, skipName } from './records.js';

export interface ReplyShape {
  /**
   * Every TTL field as a pair, [offset0, ttl0, offset1, ttl1, …], in an array of exactly that
   * length: the caller may clamp the TTLs in place and keep it (a cache entry does).
   */
  readonly ttlFields: number[];
  /** Span of the OPT record, or -1/-1 without one. */
  readonly optStart: number;
  readonly optEnd: number;
  /** Negative-caching TTL from the authority section's SOA, or -1 without a SOA. */
  readonly negativeTtl: number;
  /** Offset just past the last record. */
  readonly end: number;
}

/**
 * The reply's shape, or null when its records do not parse. Walks the records in place, with no
 * object per record (records.ts's readRecord makes one): this runs on every cache miss.
 */
export function analyseReply(b: Uint8Array, questionEnd: number): ReplyShape | null {
  const answers = h.ancount(b);
  const authority = h.nscount(b);
  const total = answers + authority + h.arcount(b);
  if (total * MIN_RECORD_SIZE > b.length - questionEnd) return null; // before allocating for them
  const ttlFields = new Array<number>(2 * total);
  const shape = { ttlFields, optStart: -1, optEnd: -1, negativeTtl: -1, end: 0 };
  let fields = 0;
  let pos = questionEnd;
  for (let i = 0; i < total; i++) {
    const afterName = skipName(b, pos);
    if (afterName < 0) return null;
    // Cut inside the ten fixed bytes: the missing ones read as 0 and `end` lands past b.length.
    const end = afterName + 10 + ((b[afterName + 8]! << 8) | b[afterName + 9]!);
    if (end > b.length) return null;
    const type = (b[afterName]! << 8) | b[afterName + 1]!;
    if (type === TYPE_OPT) {
      if (i < answers + authority || shape.optStart >= 0) return null; // RFC 6891 §6.1.1: one, in additional
      shape.optStart = pos;
      shape.optEnd = end;
    } else {
      const ttl = readTtl(b, afterName + 4);
      ttlFields[fields++] = afterName + 4;
      ttlFields[fields++] = ttl;
      if (type === TYPE_SOA && i >= answers && i < answers + authority) {
        const minimum = soaMinimum(b, afterName + 10, end);
        if (minimum < 0) return null;
        const negative = Math.min(ttl, minimum);
        shape.negativeTtl = shape.negativeTtl < 0 ? negative : Math.min(shape.negativeTtl, negative);
      }
    }
    pos = end;
  }
  ttlFields.length = fields; // one OPT record at most: shrinks by two, or not at all
  shape.end = pos;
  return shape;
}

/** RFC 2181 §8: a TTL with the top bit set is treated as zero. */
function readTtl(b: Uint8Array, off: number): number {
  const v = ((b[off]! << 24) >>> 0) + (b[off + 1]! << 16) + (b[off + 2]! << 8) + b[off + 3]!;
  return v > 0x7fffffff ? 0 : v;
}

export function writeTtl(b: Uint8Array, off: number, ttl: number): void {
  b[off] = ttl >>> 24;
  b[off + 1] = (ttl >>> 16) & 0xff;
  b[off + 2] = (ttl >>> 8) & 0xff;
  b[off + 3] = ttl & 0xff;
}

/** The SOA's MINIMUM field (RFC 1035 §3.3.13): after MNAME, RNAME and four 32-bit fields. */
function soaMinimum(b: Uint8Array, rdata: number, end: number): number {
  const afterMname = skipName(b, rdata);
  const afterRname = afterMname < 0 ? -1 : skipName(b, afterMname);
  if (afterRname < 0 || afterRname + 20 > end) return -1;
  return readTtl(b, afterRname + 16);
}
