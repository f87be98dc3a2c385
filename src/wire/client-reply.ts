// A reply made the client's, whoever answered it (an upstream, a query shared in flight, the
// cache): the client's ID, its RD bit and its question name bytes, in its own letter case (the
// 0x20 bits a client may randomise, as dnsfwd compares names case-insensitively: RFC 4343).
import { HEADER_SIZE } from './header.js';

/** Writes the client's ID, RD bit and question name from `query` into `out`, a reply to the same question. */
export function stampClient(out: Uint8Array, query: Uint8Array, questionEnd: number): void {
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = (out[2]! & 0xfe) | (query[2]! & 0x01);
  for (let i = HEADER_SIZE, end = questionEnd - 4; i < end; i++) out[i] = query[i]!;
}
