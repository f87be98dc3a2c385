// The query dnsfwd sends upstream for a client's query. EDNS is hop-by-hop (RFC 6891 §6.1.1): the
// client's OPT record, its options (cookies, keepalive, padding, client subnet, anything unknown),
// its EDNS flags but DO, the header's Z bit, and any other record it sent stay with the client.
// What goes up: a header of our own, the client's question, and our OPT record.
import * as h from './header.js';
import { OPT_SIZE, writeOpt } from './opt.js';

/** How we ask: our OPT record with this UDP size and the client's DO bit, or none at all. */
export interface UpstreamEdns {
  readonly udpSize: number;
  readonly dnssecOk: boolean;
}

/**
 * A fresh query for the question at [12, questionEnd) of `client`: ID 0 (each attempt writes its
 * own), opcode QUERY, RD and CD as the client set them, AD set (RFC 6840 §5.7: we want to know
 * whether the answer was validated; the client gets AD only if it asked, see client-reply.ts), Z
 * clear; one question, and our OPT record unless `edns` is null.
 */
export function upstreamQuery(client: Uint8Array, questionEnd: number, edns: UpstreamEdns | null): Buffer {
  const out = Buffer.allocUnsafe(questionEnd + (edns ? OPT_SIZE : 0));
  out[0] = 0;
  out[1] = 0;
  out[2] = client[2]! & 0x01; // QR=0, opcode QUERY, AA=0, TC=0, RD
  out[3] = 0x20 | (client[3]! & 0x10); // RA=0, Z=0, AD=1, CD, RCODE 0
  h.writeCounts(out, 1, 0, 0, edns ? 1 : 0);
  out.set(client.subarray(h.HEADER_SIZE, questionEnd), h.HEADER_SIZE);
  if (edns) writeOpt(out, questionEnd, edns.dnssecOk, 0, edns.udpSize);
  return out;
}
