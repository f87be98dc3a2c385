// The OPT pseudo-record (RFC 6891) dnsfwd writes. OPT is hop-by-hop (§6.1.1, §7): a client gets
// our OPT (our UDP size, no options) when it sent one, never the upstream's; an upstream gets ours
// (wire/upstream-query.ts), never the client's.
import * as h from './header.js';
import { findOpt, type Edns } from './question.js';

/** EDNS UDP size we advertise to clients in our replies. */
const OUR_EDNS_SIZE = 1232;
/** An OPT record without options: root name, type, class, TTL, RDLENGTH. */
export const OPT_SIZE = 11;

/**
 * Writes our OPT record at `off`: UDP size `udpSize`, the upper 8 bits of a 12-bit RCODE
 * (RFC 6891 §6.1.3), version 0, the DO bit (RFC 3225 §3) and no other flag, no options.
 */
export function writeOpt(out: Uint8Array, off: number, dnssecOk: boolean, extendedRcode = 0, udpSize = OUR_EDNS_SIZE): void {
  out[off] = 0;
  out[off + 1] = 0;
  out[off + 2] = 41;
  out[off + 3] = udpSize >>> 8;
  out[off + 4] = udpSize & 0xff;
  out[off + 5] = extendedRcode >>> 4;
  out[off + 6] = 0;
  out[off + 7] = dnssecOk ? 0x80 : 0;
  out[off + 8] = 0;
  out[off + 9] = 0;
  out[off + 10] = 0;
}

/**
 * `reply` with the upstream's OPT record (if any) replaced by ours for this client: kept out when
 * the client sent no EDNS, else ours with the upstream's extended RCODE and the client's DO bit.
 * Returns `reply` itself when there is nothing to change.
 */
export function withClientOpt(reply: Buffer, questionEnd: number, client: Edns | null): Buffer {
  const upstream = h.arcount(reply) > 0 ? findOpt(reply, questionEnd) : null;
  if (!upstream && !client) return reply;
  const extendedRcode = upstream ? reply[upstream.ttl]! << 4 : 0;
  const before = upstream ? upstream.start : reply.length;
  const after = upstream ? reply.subarray(upstream.end) : reply.subarray(reply.length);
  const out = Buffer.allocUnsafe(before + after.length + (client ? OPT_SIZE : 0));
  reply.copy(out, 0, 0, before);
  after.copy(out, before);
  if (upstream) h.writeArcount(out, h.arcount(reply) - 1);
  if (client) appendOpt(out, before + after.length, client.dnssecOk, extendedRcode);
  return out;
}

/** An Extended DNS Error (RFC 8914 §2): its INFO-CODE, and EXTRA-TEXT for a person (UTF-8). */
export interface ExtendedError {
  readonly code: number;
  readonly text: string;
}

/** EDNS option code of an Extended DNS Error (RFC 8914 §2). */
const OPTION_EDE = 15;
/** The most EXTRA-TEXT octets sent: a reason for a log reader, not a report. */
const EDE_TEXT_MAX = 200;

/** The octets `ede` adds to an OPT record: option code and length, INFO-CODE, EXTRA-TEXT. */
export function edeSize(ede: ExtendedError | undefined): number {
  return ede ? 6 + Math.min(Buffer.byteLength(ede.text), EDE_TEXT_MAX) : 0;
}

/**
 * Writes our OPT record at `off`, the end of `out` (with room for `edeSize(ede)` more octets), and
 * counts it in ARCOUNT; with `ede`, the record carries that Extended DNS Error as its one option.
 */
export function appendOpt(out: Uint8Array, off: number, dnssecOk: boolean, extendedRcode = 0, ede?: ExtendedError): void {
  writeOpt(out, off, dnssecOk, extendedRcode);
  h.writeArcount(out, h.arcount(out) + 1);
  if (!ede) return;
  const text = Buffer.from(ede.text, 'utf8').subarray(0, EDE_TEXT_MAX);
  const at = off + OPT_SIZE;
  const size = 6 + text.length;
  out.set([size >> 8, size & 0xff, OPTION_EDE >> 8, OPTION_EDE & 0xff, (size - 4) >> 8, (size - 4) & 0xff, ede.code >> 8, ede.code & 0xff], at - 2);
  out.set(text, at + 6);
}
