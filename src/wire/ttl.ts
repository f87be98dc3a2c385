// What the cache needs from an upstream reply, found in one walk over its records: where every
// TTL field is (never the OPT record's, RFC 6891 §6.1.3), the OPT record's span, and the negative
// TTL its SOA gives (RFC 2308 §5: the smaller of the SOA's TTL and its MINIMUM field).
import * as h from './header.js';
import { TYPE_OPT, readRecord, skipName, type RecordSpan } from './records.js';

const TYPE_SOA = 6;

export interface ReplyShape {
  readonly ttlOffsets: number[];
  readonly ttls: number[];
  /** Span of the OPT record, or -1/-1 without one. */
  readonly optStart: number;
  readonly optEnd: number;
  /** Negative-caching TTL from the authority section's SOA, or -1 without a SOA. */
  readonly negativeTtl: number;
  /** Offset just past the last record. */
  readonly end: number;
}

/** The reply's shape, or null when its records do not parse. */
export function analyseReply(b: Uint8Array, questionEnd: number): ReplyShape | null {
  const shape = { ttlOffsets: [] as number[], ttls: [] as number[], optStart: -1, optEnd: -1, negativeTtl: -1, end: 0 };
  const counts = [h.ancount(b), h.nscount(b), h.arcount(b)];
  let pos = questionEnd;
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section]!; i++) {
      const r = readRecord(b, pos);
      if (r === null) return null;
      if (!visit(b, r, section, shape)) return null;
      pos = r.end;
    }
  }
  shape.end = pos;
  return shape;
}

function visit(b: Uint8Array, r: RecordSpan, section: number, shape: Mutable<ReplyShape>): boolean {
  if (r.type === TYPE_OPT) {
    if (section !== 2 || shape.optStart >= 0) return false; // RFC 6891 §6.1.1: one, in additional
    shape.optStart = r.start;
    shape.optEnd = r.end;
    return true;
  }
  const ttl = readTtl(b, r.ttl);
  shape.ttlOffsets.push(r.ttl);
  shape.ttls.push(ttl);
  if (section === 1 && r.type === TYPE_SOA) {
    const minimum = soaMinimum(b, r);
    if (minimum < 0) return false;
    const negative = Math.min(ttl, minimum);
    shape.negativeTtl = shape.negativeTtl < 0 ? negative : Math.min(shape.negativeTtl, negative);
  }
  return true;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** RFC 2181 §8: a TTL with the top bit set is treated as zero. */
export function readTtl(b: Uint8Array, off: number): number {
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
function soaMinimum(b: Uint8Array, r: RecordSpan): number {
  const afterMname = skipName(b, r.rdata);
  const afterRname = afterMname < 0 ? -1 : skipName(b, afterMname);
  if (afterRname < 0 || afterRname + 20 > r.end) return -1;
  return readTtl(b, afterRname + 16);
}
