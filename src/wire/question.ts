// Reads what dnsfwd needs from a client's query: the question (name in lower case for routing,
// type, class), where it ends, and the EDNS OPT record (RFC 6891) if any. Decides drop/FORMERR/NOTIMP.
import * as h from './header.js';
import { lowerAscii, nameText } from './name.js';
import { TYPE_OPT, walkRecords, type RecordSpan } from './records.js';

export interface Edns {
  /** Offset of the OPT record (its root name byte). */
  readonly offset: number;
  /** Requestor's UDP payload size, read from the OPT class field (RFC 6891 §6.2.3). */
  readonly udpSize: number;
  /** DNSSEC OK bit (RFC 3225). */
  readonly dnssecOk: boolean;
  /** EDNS version; we speak 0 (RFC 6891 §6.1.3). */
  readonly version: number;
}

export interface Question {
  /** Lower-case presentation name without trailing dot ('' for the root); `.` in labels escaped. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  /** Offset just past the question section: bytes [12, end) are the client's question. */
  readonly end: number;
  readonly edns: Edns | null;
}

/**
 * A question read from a message's bytes. The hot path (a cache hit) needs only offsets, type
 * and class; the name is decoded the first time something asks for it (routing, logs).
 */
class WireQuestion implements Question {
  readonly class: number;
  private decoded: string | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    readonly type: number,
    klass: number,
    readonly end: number,
    readonly edns: Edns | null,
  ) {
    this.class = klass;
  }

  get name(): string {
    this.decoded ??= nameText(this.bytes, h.HEADER_SIZE);
    return this.decoded;
  }

  withEdns(edns: Edns | null): WireQuestion {
    return new WireQuestion(this.bytes, this.type, this.class, this.end, edns);
  }
}

export type QueryParse =
  | { readonly kind: 'drop'; readonly why: string }
  | { readonly kind: 'error'; readonly rcode: h.RcodeValue; readonly question: Question | null; readonly why: string }
  | { readonly kind: 'query'; readonly question: Question };

/** Classifies a client message (RFC 1035 §4.1, RFC 6891 §6.1.1, RFC 5966). Never throws. */
export function parseQuery(b: Uint8Array): QueryParse {
  if (b.length < h.HEADER_SIZE) return { kind: 'drop', why: 'shorter than a header' };
  if (h.isResponse(b)) return { kind: 'drop', why: 'QR=1 (a response, not a query)' };
  if (h.qdcount(b) !== 1) return formerr(null, `QDCOUNT=${h.qdcount(b)}`);
  const qn = readQuestionAt(b, h.HEADER_SIZE);
  if (qn === null) return formerr(null, 'question does not parse');
  const edns = findEdns(b, qn.end);
  if (edns === 'bad') return formerr(qn, 'malformed records after the question');
  const question = edns === null ? qn : qn.withEdns(edns);
  if (h.opcode(b) !== h.OPCODE_QUERY) {
    return { kind: 'error', rcode: h.Rcode.NOTIMP, question, why: `opcode ${h.opcode(b)}` };
  }
  if (edns !== null && edns.version !== 0) {
    return { kind: 'error', rcode: h.Rcode.BADVERS, question, why: `EDNS version ${edns.version}` };
  }
  return { kind: 'query', question };
}

function formerr(question: Question | null, why: string): QueryParse {
  return { kind: 'error', rcode: h.Rcode.FORMERR, question, why };
}

/** Reads an uncompressed question name + type + class at `off` (no EDNS). */
function readQuestionAt(b: Uint8Array, off: number): WireQuestion | null {
  let pos = off;
  for (;;) {
    if (pos >= b.length) return null;
    const len = b[pos]!;
    if (len === 0) break;
    if (len > 63) return null; // compression in a question's name is not something clients do
    pos += len + 1;
    if (pos - off > 254) return null; // RFC 1035 §3.1: 255 bytes with the root label
  }
  const end = pos + 5;
  if (end > b.length) return null;
  const type = (b[pos + 1]! << 8) | b[pos + 2]!;
  const klass = (b[pos + 3]! << 8) | b[pos + 4]!;
  return new WireQuestion(b, type, klass, end, null);
}

/** Finds the OPT record in the additional section; 'bad' for malformed records or two OPTs. */
function findEdns(b: Uint8Array, afterQuestion: number): Edns | null | 'bad' {
  // What nearly every client sends: nothing after the question, or exactly one OPT record there.
  // generalEdns gives the same answer for both, record by record, on every query: too slow here.
  const counts = h.ancount(b) + h.nscount(b) + h.arcount(b);
  // Fast path: nothing after the question.
  if (counts === 0) return null;
  const at = afterQuestion;
  // Fast path: one well-formed OPT record and nothing else. A read past the end gives undefined,
  // which `<<` and `|` make 0: a record cut short then fails the RDLENGTH bound, as it should.
  if (
    counts === 1 &&
    h.arcount(b) === 1 &&
    b[at] === 0 &&
    ((b[at + 1]! << 8) | b[at + 2]!) === TYPE_OPT &&
    at + 11 + ((b[at + 9]! << 8) | b[at + 10]!) <= b.length
  ) {
    return optAt(b, at, at + 5);
  }
  return generalEdns(b, afterQuestion);
}

function optAt(b: Uint8Array, start: number, ttl: number): Edns {
  const udpSize = (b[start + 3]! << 8) | b[start + 4]!;
  return { offset: start, udpSize, dnssecOk: (b[ttl + 2]! & 0x80) !== 0, version: b[ttl + 1]! };
}

function generalEdns(b: Uint8Array, afterQuestion: number): Edns | null | 'bad' {
  const before = h.ancount(b) + h.nscount(b);
  let edns: Edns | null = null;
  let twice = false;
  const end = walkRecords(b, afterQuestion, before + h.arcount(b), (r, i) => {
    if (i < before || r.type !== TYPE_OPT) return; // RFC 6891 §6.1.1: OPT belongs in the additional section
    if (edns !== null || b[r.start] !== 0) twice = true; // one OPT, root owner
    edns = optAt(b, r.start, r.ttl);
  });
  if (end < 0 || twice) return 'bad';
  return edns;
}

/**
 * The first OPT record of any message's additional section (e.g. an upstream reply): where it
 * starts and ends, or null. Records after it are not read.
 */
export function findOpt(b: Uint8Array, afterQuestion: number): RecordSpan | null {
  const before = h.ancount(b) + h.nscount(b);
  let found: RecordSpan | null = null;
  walkRecords(b, afterQuestion, before + h.arcount(b), (r, i) => {
    if (i < before || r.type !== TYPE_OPT) return;
    found = r;
    return false;
  });
  return found;
}

/**
 * Same question (name case-insensitively, type, class) at [12, end) of a query, which holds it
 * there, and of a reply? A reply that ends before `end` reads undefined there, equal to no byte.
 */
export function sameQuestion(query: Uint8Array, reply: Uint8Array, end: number): boolean {
  const nameEnd = end - 4;
  for (let i = h.HEADER_SIZE; i < nameEnd; i++) if (lowerAscii(query[i]!) !== lowerAscii(reply[i]!)) return false;
  for (let i = nameEnd; i < end; i++) if (query[i] !== reply[i]) return false; // type and class compare exactly
  return true;
}
