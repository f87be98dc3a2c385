// A reply made the client's, whoever answered it (an upstream, a query shared in flight, the
// cache): the client's ID, its RD bit and its question name bytes, in its own letter case (the
// 0x20 bits a client may randomise, as dnsfwd compares names case-insensitively: RFC 4343); and,
// as the last step before it is sent, AD only for a client that asked for it.
import { HEADER_SIZE } from './header.js';
import type { Question } from './question.js';

/** Writes the client's ID, RD bit and question name from `query` into `out`, a reply to the same question. */
export function stampClient(out: Uint8Array, query: Uint8Array, q: Question): void {
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = (out[2]! & 0xfe) | (query[2]! & 0x01);
  for (let i = HEADER_SIZE, end = q.end - 4; i < end; i++) out[i] = query[i]!;
}

/**
 * Clears AD in `out` unless the client set AD or DO in `query` (RFC 6840 §5.7, RFC 4035 §3.2.3).
 * The cache keeps the upstream's AD, so this runs on each reply as it goes out, cached or not.
 */
export function adOnlyIfAsked(out: Uint8Array, query: Uint8Array, q: Question): void {
  if ((query[3]! & 0x20) === 0 && !q.edns?.dnssecOk) out[3] = out[3]! & 0xdf;
}
