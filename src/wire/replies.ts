// Replies dnsfwd makes itself: FORMERR/SERVFAIL/NOTIMP/REFUSED for a query, and truncation (TC=1)
// of an answer too big for the client's UDP size (RFC 1035 §4.2.1, RFC 6891 §7).
import * as h from './header.js';
import { appendOpt, edeSize, OPT_SIZE, type ExtendedError } from './opt.js';
import { findOpt, type Edns, type Question } from './question.js';

/**
 * An error reply to `query`: same ID, opcode, RD and CD, QR=1, RA=1, the client's question when
 * it parsed (RFC 1035 §4.1.1; QDCOUNT 1, else 0), and our OPT record when the client sent one
 * (`edns`, the question's by default; RFC 6891 §7), which also carries the upper bits of an
 * extended RCODE such as BADVERS, and `ede` when given (RFC 8914: why, e.g. for a DNSSEC failure).
 */
export function errorReply(query: Uint8Array, rcode: number, question: Question | null, edns: Edns | null = question?.edns ?? null, ede?: ExtendedError): Buffer {
  const qEnd = question ? question.end : h.HEADER_SIZE;
  const out = Buffer.alloc(qEnd + (edns ? OPT_SIZE + edeSize(ede) : 0));
  writeReplyHeader(out, query, rcode, false);
  if (question) out.set(query.subarray(h.HEADER_SIZE, qEnd), h.HEADER_SIZE);
  h.writeCounts(out, question ? 1 : 0, 0, 0, 0);
  if (edns) appendOpt(out, qEnd, edns.dnssecOk, rcode, ede);
  return out;
}

/**
 * The first four bytes of a reply dnsfwd makes to `query`: its ID; QR, its opcode and RD; AA when
 * dnsfwd is the authority (RFC 1035 §4.1.1); RA, its CD (RFC 4035 §3.2.2) and the low bits of
 * `rcode`. The counts are the caller's.
 */
export function writeReplyHeader(out: Uint8Array, query: Uint8Array, rcode: number, authoritative: boolean): void {
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = 0x80 | (authoritative ? 0x04 : 0) | (query[2]! & 0x79);
  out[3] = 0x80 | (query[3]! & 0x10) | (rcode & 0x0f);
}

/**
 * `reply` cut to header + question (+ its OPT record), with TC=1 so the client retries over TCP.
 * `questionEnd` is where the question section ends.
 */
export function truncateReply(reply: Uint8Array, questionEnd: number): Buffer {
  const opt = findOpt(reply, questionEnd);
  const optLen = opt ? opt.end - opt.start : 0;
  const out = Buffer.alloc(questionEnd + optLen);
  out.set(reply.subarray(0, questionEnd), 0);
  if (opt) out.set(reply.subarray(opt.start, opt.end), questionEnd);
  h.setTruncated(out);
  h.writeCounts(out, 1, 0, 0, opt ? 1 : 0);
  return out;
}

/** The largest UDP payload there is: 65,535 less the IPv4 and UDP headers. */
const MAX_UDP_PAYLOAD = 65507;

/** The largest UDP reply this client accepts: 512 without EDNS, else its size capped by ours. */
export function clientUdpLimit(question: Question, udpMaxSize: number): number {
  if (!question.edns) return 512;
  return Math.max(512, Math.min(question.edns.udpSize, udpMaxSize, MAX_UDP_PAYLOAD));
}
