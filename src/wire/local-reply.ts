// Replies dnsfwd gives as the authority for a zone of its own (the special-use names, RFC 6761 §6):
// the client's ID, opcode, RD and CD bits with QR, AA and RA set (RFC 1035 §4.1.1, RFC 4035
// §3.2.2), the question as the client wrote it, the records given, and our OPT record when the
// client sent one (RFC 6891 §7). Records are built once, in wire format, class IN.
import * as h from './header.js';
import { appendOpt, OPT_SIZE } from './opt.js';
import { presentationToWire } from './name.js';
import type { Question } from './question.js';
import { CLASS_IN, TYPE_SOA } from './records.js';
import { writeReplyHeader } from './replies.js';

/** A compression pointer to the question name at offset 12: the owner as the client wrote it (RFC 1035 §4.1.4). */
export const QUESTION_NAME: Uint8Array = Uint8Array.of(0xc0, h.HEADER_SIZE);

/** One resource record, class IN, in wire format (RFC 1035 §4.1.3); `owner` is a wire name or a pointer. */
export function resourceRecord(owner: Uint8Array, type: number, ttl: number, rdata: Uint8Array): Uint8Array {
  const out = new Uint8Array(owner.length + 10 + rdata.length);
  const v = new DataView(out.buffer);
  out.set(owner, 0);
  v.setUint16(owner.length, type);
  v.setUint16(owner.length + 2, CLASS_IN);
  v.setUint32(owner.length + 4, ttl);
  v.setUint16(owner.length + 8, rdata.length);
  out.set(rdata, owner.length + 10);
  return out;
}

interface SoaFields {
  /** The zone, lower case, no trailing dot. */
  readonly zone: string;
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  /** The negative-caching TTL (RFC 2308 §4). */
  readonly minimum: number;
  readonly ttl: number;
}

/** The zone's SOA record (RFC 1035 §3.3.13), names uncompressed. */
export function soaRecord(s: SoaFields): Uint8Array {
  const mname = presentationToWire(s.mname);
  const rname = presentationToWire(s.rname);
  const rdata = new Uint8Array(mname.length + rname.length + 20);
  rdata.set(mname, 0);
  rdata.set(rname, mname.length);
  const v = new DataView(rdata.buffer, mname.length + rname.length);
  [s.serial, s.refresh, s.retry, s.expire, s.minimum].forEach((n, i) => v.setUint32(i * 4, n));
  return resourceRecord(presentationToWire(s.zone), TYPE_SOA, s.ttl, rdata);
}

/**
 * The authoritative reply to `query` (whose parsed question is `question`): `rcode`, the
 * `answers`, then the `authority` records, and our OPT record if the client sent one.
 */
export function localReply(
  query: Uint8Array,
  question: Question,
  rcode: number,
  answers: readonly Uint8Array[],
  authority: readonly Uint8Array[],
): Buffer {
  const records = [...answers, ...authority];
  const recordBytes = records.reduce((n, r) => n + r.length, 0);
  const out = Buffer.alloc(question.end + recordBytes + (question.edns ? OPT_SIZE : 0));
  writeReplyHeader(out, query, rcode, true);
  out.set(query.subarray(h.HEADER_SIZE, question.end), h.HEADER_SIZE);
  let off = question.end;
  for (const r of records) {
    out.set(r, off);
    off += r.length;
  }
  h.writeCounts(out, 1, answers.length, authority.length, 0);
  if (question.edns) appendOpt(out, off, question.edns.dnssecOk);
  return out;
}
