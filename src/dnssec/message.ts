// A whole DNS message decoded for validation (RFC 1035 §4.1): header, question, and every record with
// its names uncompressed (RFC 1035 §4.1.4, RFC 3597 §4), the OPT record reported apart (RFC 6891 §6.1).
import { HEADER_SIZE } from '../wire/header.js';
import { MIN_RECORD_SIZE, TYPE_OPT } from '../wire/records.js';
import { decompressLayout, MAX_NAME, type Field } from './rdata-names.js';
import type { Rr } from './types.js';

export interface Question {
  /** Wire format, uncompressed, case as received. */
  readonly name: Uint8Array;
  readonly type: number;
  readonly class: number;
}

/** What the OPT pseudo-record says (RFC 6891 §6.1.2-§6.1.3, RFC 3225 §3 for DO). */
export interface OptInfo {
  readonly udpSize: number;
  readonly do: boolean;
  /** The upper 8 bits of the extended RCODE. */
  readonly rcodeHigh: number;
  readonly version: number;
}

export interface DecodedMessage {
  readonly id: number;
  /** The header's 16-bit flags word: QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE (RFC 1035 §4.1.1, RFC 4035 §3.2). */
  readonly flags: number;
  /** The header's 4-bit RCODE; the upper bits of an extended one are in `opt.rcodeHigh`. */
  readonly rcode: number;
  /** The question, or null for a message without one (QDCOUNT 0). */
  readonly question: Question | null;
  readonly answer: Rr[];
  readonly authority: Rr[];
  /** The additional section without its OPT record. */
  readonly additional: Rr[];
  readonly opt: OptInfo | null;
}

interface NameRead {
  readonly name: Uint8Array;
  /** The offset just past the name where it was read (after the first pointer, if any). */
  readonly end: number;
}

/**
 * The possibly compressed name at `off`, uncompressed, or null. A pointer must point before itself
 * (RFC 1035 §4.1.4: "a prior occurrence"), so a chain of pointers always ends; labels read in
 * between count towards the 255-octet limit (RFC 1035 §3.1), which ends any loop through them.
 */
function readName(b: Uint8Array, off: number): NameRead | null {
  const out: number[] = [];
  let pos = off;
  let end = -1;
  for (;;) {
    const len = b[pos];
    if (len === undefined) return null;
    if ((len & 0xc0) === 0xc0) {
      const low = b[pos + 1];
      if (low === undefined) return null;
      const target = ((len & 0x3f) << 8) | low;
      if (target >= pos) return null;
      if (end < 0) end = pos + 2;
      pos = target;
      continue;
    }
    if (len > 63 || pos + len + 1 > b.length || out.length + len + 1 > MAX_NAME) return null; // RFC 6891 §5: 0x40, 0x80 obsolete
    for (let i = pos; i <= pos + len; i++) out.push(b[i]!);
    if (len === 0) return { name: Uint8Array.from(out), end: end < 0 ? pos + 1 : end };
    pos += len + 1;
  }
}

/** RDATA from `start` to `end` with the names of `layout` uncompressed, or null if one runs past `end`. */
function decompressRdata(b: Uint8Array, start: number, end: number, layout: readonly Field[]): Uint8Array | null {
  const parts: Uint8Array[] = [];
  let pos = start;
  for (const field of layout) {
    if (field === 'name') {
      const read = readName(b, pos);
      if (read === null || read.end > end) return null;
      parts.push(read.name);
      pos = read.end;
      continue;
    }
    const len = field === 'string' ? (pos < end ? b[pos]! + 1 : -1) : field;
    if (len < 0 || pos + len > end) return null;
    parts.push(b.subarray(pos, pos + len));
    pos += len;
  }
  parts.push(b.subarray(pos, end));
  return Buffer.concat(parts);
}

const u16 = (b: Uint8Array, off: number): number => (b[off]! << 8) | b[off + 1]!;
const u32 = (b: Uint8Array, off: number): number => u16(b, off) * 0x10000 + u16(b, off + 2);

/** The record at `off` (RFC 1035 §4.1.3) and the offset after it, or null. */
function readRr(b: Uint8Array, off: number): { rr: Rr; end: number } | null {
  const owner = readName(b, off);
  if (owner === null) return null;
  const fixed = owner.end;
  if (fixed + 10 > b.length) return null;
  const type = u16(b, fixed);
  const rdStart = fixed + 10;
  const rdEnd = rdStart + u16(b, fixed + 8);
  if (rdEnd > b.length) return null;
  const layout = decompressLayout(type);
  const rdata = layout === null ? b.slice(rdStart, rdEnd) : decompressRdata(b, rdStart, rdEnd, layout);
  if (rdata === null) return null;
  return { rr: { owner: owner.name, type, class: u16(b, fixed + 2), ttl: u32(b, fixed + 4), rdata }, end: rdEnd };
}

/** `count` records from `off` into `into`; the offset after them, or -1. */
function readSection(b: Uint8Array, off: number, count: number, into: Rr[]): number {
  if (count * MIN_RECORD_SIZE > b.length - off) return -1; // more than the bytes can hold
  let pos = off;
  for (let i = 0; i < count; i++) {
    const read = readRr(b, pos);
    if (read === null) return -1;
    into.push(read.rr);
    pos = read.end;
  }
  return pos;
}

/** The OPT record's fields (RFC 6891 §6.1.2: owner the root, CLASS the UDP size, TTL the flags). */
function optInfo(rr: Rr): OptInfo | null {
  if (rr.owner.length !== 1) return null;
  return { udpSize: rr.class, rcodeHigh: rr.ttl >>> 24, version: (rr.ttl >>> 16) & 0xff, do: (rr.ttl & 0x8000) !== 0 };
}

/** The question section: none, or one question (RFC 9619: more than one is not a valid message). */
function readQuestion(b: Uint8Array): { question: Question | null; end: number } | null {
  const qd = u16(b, 4);
  if (qd === 0) return { question: null, end: HEADER_SIZE };
  if (qd > 1) return null;
  const name = readName(b, HEADER_SIZE);
  if (name === null || name.end + 4 > b.length) return null;
  return { question: { name: name.name, type: u16(b, name.end), class: u16(b, name.end + 2) }, end: name.end + 4 };
}

/**
 * `bytes` decoded, or null when anything in it is malformed: a name, pointer or record running past
 * its bounds, a pointer loop, an OPT record outside the additional section, twice, or not at the root
 * (RFC 6891 §6.1.1). Never throws. Bytes after the last record are ignored.
 */
export function decodeMessage(bytes: Uint8Array): DecodedMessage | null {
  if (bytes.length < HEADER_SIZE) return null;
  const q = readQuestion(bytes);
  if (q === null) return null;
  const answer: Rr[] = [];
  const authority: Rr[] = [];
  const records: Rr[] = [];
  let pos = readSection(bytes, q.end, u16(bytes, 6), answer);
  if (pos >= 0) pos = readSection(bytes, pos, u16(bytes, 8), authority);
  if (pos >= 0) pos = readSection(bytes, pos, u16(bytes, 10), records);
  if (pos < 0) return null;
  if (answer.some((r) => r.type === TYPE_OPT) || authority.some((r) => r.type === TYPE_OPT)) return null;
  const opts = records.filter((r) => r.type === TYPE_OPT);
  if (opts.length > 1) return null;
  const opt = opts.length === 1 ? optInfo(opts[0]!) : null;
  if (opts.length === 1 && opt === null) return null;
  const flags = u16(bytes, 2);
  const additional = records.filter((r) => r.type !== TYPE_OPT);
  return { id: u16(bytes, 0), flags, rcode: flags & 0x0f, question: q.question, answer, authority, additional, opt };
}

/** `rr` in wire format (RFC 1035 §4.1.3): owner as it is (uncompressed), type, class, TTL, RDLENGTH, RDATA. */
export function encodeRr(rr: Rr): Uint8Array {
  const out = new Uint8Array(rr.owner.length + 10 + rr.rdata.length);
  out.set(rr.owner, 0);
  const view = new DataView(out.buffer);
  const pos = rr.owner.length;
  view.setUint16(pos, rr.type);
  view.setUint16(pos + 2, rr.class);
  view.setUint32(pos + 4, rr.ttl >>> 0);
  view.setUint16(pos + 8, rr.rdata.length);
  out.set(rr.rdata, pos + 10);
  return out;
}
