// Reads what dnsfwd needs from a client's query: the question (name in lower case for routing,
// type, class), where it ends, and the EDNS OPT record (RFC 6891) if any. Decides what dnsfwd
// answers itself: drop, FORMERR, NOTIMP, BADVERS, or REFUSED (CH and HS classes, zone transfers).
import * as h from './header.js';
import { lowerAscii, nameText } from './name.js';
import { skipQuestions, TYPE_OPT, walkRecords, type RecordSpan } from './records.js';

/** Classes dnsfwd never forwards (RFC 1035 §3.2.4): CHAOS and Hesiod. */
const CLASS_CH = 3;
const CLASS_HS = 4;
/** Zone transfers, which dnsfwd never forwards: IXFR (RFC 1995) and AXFR (RFC 5936). */
const TYPE_IXFR = 251;
const TYPE_AXFR = 252;

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

export interface QueryError {
  readonly kind: 'error';
  readonly rcode: h.RcodeValue;
  /** The question, when the message holds exactly one and it parsed; its `edns` is `edns`. */
  readonly question: Question | null;
  /** The client's OPT record, also without a question; null when there is none or it cannot be told. */
  readonly edns: Edns | null;
  readonly why: string;
}

export type QueryParse =
  | { readonly kind: 'drop'; readonly why: string }
  | QueryError
  | { readonly kind: 'query'; readonly question: Question };

/** Classifies a client message (RFC 1035 §4.1, RFC 6891 §6.1.1, RFC 5966). Never throws. */
export function parseQuery(b: Uint8Array): QueryParse {
  if (b.length < h.HEADER_SIZE) return { kind: 'drop', why: 'shorter than a header' };
  if (h.isResponse(b)) return { kind: 'drop', why: 'QR=1 (a response, not a query)' };
  // RFC 1035 §4.1.1: an opcode we do not implement is NOTIMP, whatever the sections hold.
  if (h.opcode(b) !== h.OPCODE_QUERY) return errorReading(b, h.Rcode.NOTIMP, `opcode ${h.opcode(b)}`);
  if (h.qdcount(b) !== 1) return errorReading(b, h.Rcode.FORMERR, `QDCOUNT=${h.qdcount(b)}`);
  const qn = readQuestionAt(b, h.HEADER_SIZE);
  if (qn === null) return errorReading(b, h.Rcode.FORMERR, 'question does not parse');
  const edns = findEdns(b, qn.end);
  if (edns === 'bad') return error(h.Rcode.FORMERR, qn, 'malformed records after the question');
  const question = edns === null ? qn : qn.withEdns(edns);
  if (edns !== null && edns.version !== 0) return error(h.Rcode.BADVERS, question, `EDNS version ${edns.version}`);
  // Fast path: a class below CH's and a type below IXFR's, which refusal() lets through.
  if (qn.class >= CLASS_CH || qn.type >= TYPE_IXFR) {
    const why = refusal(qn.type, qn.class);
    if (why !== null) return error(h.Rcode.REFUSED, question, why);
  }
  return { kind: 'query', question };
}

function error(rcode: h.RcodeValue, question: Question, why: string): QueryError {
  return { kind: 'error', rcode, question, edns: question.edns, why };
}

/**
 * Why dnsfwd refuses a well-formed query itself rather than forward it, or null. Its upstreams
 * (DHCP servers, Consul, dnsmasq) answer for names, not for dnsfwd: what one says in the CHAOS
 * class (version.bind, id.server: RFC 4892) or Hesiod describes that server. Zone transfers are
 * not a stub forwarder's business, and an IXFR's answer depends on the serial in its authority
 * section (RFC 1995 §3), which the cache key does not hold: refused here, they are never cached.
 */
function refusal(type: number, klass: number): string | null {
  if (klass === CLASS_CH) return 'class CH';
  if (klass === CLASS_HS) return 'class HS';
  if (type === TYPE_AXFR) return 'AXFR (RFC 5936)';
  if (type === TYPE_IXFR) return 'IXFR (RFC 1995)';
  return null;
}

/**
 * An error for a message that is not one plain question (another opcode, QDCOUNT other than 1, a
 * question that does not parse): the question only when there is exactly one and it parses, and
 * the client's OPT record (RFC 6891 §7) when the records can be walked to it. Not the hot path.
 */
function errorReading(b: Uint8Array, rcode: h.RcodeValue, why: string): QueryError {
  const edns = ednsAfterQuestions(b);
  const qn = h.qdcount(b) === 1 ? readQuestionAt(b, h.HEADER_SIZE) : null;
  return { kind: 'error', rcode, question: qn && qn.withEdns(edns), edns, why };
}

/**
 * The OPT record after QDCOUNT questions of any shape (names uncompressed or compressed), or null:
 * when there is none, and when a question or record is malformed or the OPT records are not one,
 * root-owned: then nothing can be told reliably.
 */
function ednsAfterQuestions(b: Uint8Array): Edns | null {
  // -1 for questions that do not parse: a walk from there fails (with no records to read it ends
  // where it started, at -1; a name at -1 reads undefined, which skipName rejects), so 'bad'.
  const edns = generalEdns(b, skipQuestions(b, h.HEADER_SIZE, h.qdcount(b)));
  return edns === 'bad' ? null : edns;
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
