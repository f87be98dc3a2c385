// Walking names, questions and resource records in raw messages (RFC 1035 §3.1, §4.1.2-§4.1.4),
// without decoding them. Every function returns -1 (or null) for bytes that do not form a valid record.

// The types and classes dnsfwd looks at (RFC 1035 §3.2.2-§3.2.5, RFC 3596, RFC 6672, RFC 6891).
export const TYPE_A = 1;
export const TYPE_CNAME = 5;
export const TYPE_SOA = 6;
export const TYPE_AAAA = 28;
export const TYPE_DNAME = 39;
export const TYPE_OPT = 41;
/** QTYPE `*` (RFC 8482 lets a server answer it with a subset of the RRsets). */
export const TYPE_ANY = 255;
export const CLASS_IN = 1;
/** QCLASS `*`. */
export const CLASS_ANY = 255;

/** The fewest bytes a question takes: a root name (1), type and class (4). */
export const MIN_QUESTION_SIZE = 5;
/** The fewest bytes a resource record takes: a root name (1), type, class, TTL, RDLENGTH (10). */
export const MIN_RECORD_SIZE = 11;

/** Offset just past the (possibly compressed) name at `off`, or -1 if malformed. */
export function skipName(b: Uint8Array, off: number): number {
  let pos = off;
  while (pos < b.length) {
    const len = b[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= b.length ? pos + 2 : -1;
    if ((len & 0xc0) !== 0) return -1; // 0x40/0x80 label types are obsolete (RFC 6891 §5)
    pos += len + 1;
  }
  return -1;
}

/**
 * Offset just past `count` questions from `off` (each a possibly compressed name, then type and
 * class: RFC 1035 §4.1.2), or -1 if one is malformed or cut short.
 */
export function skipQuestions(b: Uint8Array, off: number, count: number): number {
  if (count * MIN_QUESTION_SIZE > b.length - off) return -1; // more than the bytes can hold
  let pos = off;
  for (let i = 0; i < count; i++) {
    const afterName = skipName(b, pos);
    if (afterName < 0) return -1;
    pos = afterName + 4;
  }
  return pos <= b.length ? pos : -1;
}

/** Where one resource record's parts are. `ttl` is the offset of its 32-bit TTL field. */
export interface RecordSpan {
  readonly start: number;
  readonly type: number;
  readonly ttl: number;
  readonly rdata: number;
  readonly end: number;
}

/** The record at `off`, or null if it runs past the end of the message. */
function readRecord(b: Uint8Array, off: number): RecordSpan | null {
  const afterName = skipName(b, off);
  if (afterName < 0) return null;
  // A record cut inside its ten fixed bytes reads undefined for the missing ones, which `<<` and
  // `|` make 0: its end is then at least afterName + 10, past b.length, and the one check below
  // rejects it.
  const type = (b[afterName]! << 8) | b[afterName + 1]!;
  const rdlength = (b[afterName + 8]! << 8) | b[afterName + 9]!;
  const end = afterName + 10 + rdlength;
  if (end > b.length) return null;
  return { start: off, type, ttl: afterName + 4, rdata: afterName + 10, end };
}

/**
 * Visits `count` records from `off`, each with its index (0 for the first); returns the offset
 * after the last one, or -1 if one is malformed. The visitor may return false to stop early (the
 * result is then -1 as well).
 */
export function walkRecords(
  b: Uint8Array,
  off: number,
  count: number,
  visit?: (r: RecordSpan, index: number) => boolean | void,
): number {
  if (count * MIN_RECORD_SIZE > b.length - off) return -1; // more than the bytes can hold
  let pos = off;
  for (let i = 0; i < count; i++) {
    const r = readRecord(b, pos);
    if (r === null) return -1;
    if (visit && visit(r, i) === false) return -1;
    pos = r.end;
  }
  return pos;
}

/**
 * Offset just past the last record of a reply whose question, one, ends at `questionEnd`, or -1
 * when the counts promise more records than the bytes can hold or a record does not parse. The
 * counts are checked against the length before any record is read, and nothing is allocated: this
 * runs on every upstream reply, before any stage trusts its counts.
 */
export function sectionsEnd(b: Uint8Array, questionEnd: number): number {
  if (((b[4]! << 8) | b[5]!) !== 1) return -1;
  const count = ((b[6]! << 8) | b[7]!) + ((b[8]! << 8) | b[9]!) + ((b[10]! << 8) | b[11]!);
  // Also a reply shorter than the question: the room left is negative.
  if (count * MIN_RECORD_SIZE > b.length - questionEnd) return -1;
  let pos = questionEnd;
  for (let i = 0; i < count; i++) {
    const afterName = skipName(b, pos);
    if (afterName < 0) return -1;
    // Cut inside the ten fixed bytes: the missing ones read as 0 and pos lands past b.length.
    pos = afterName + 10 + ((b[afterName + 8]! << 8) | b[afterName + 9]!);
    if (pos > b.length) return -1;
  }
  return pos;
}
