// The key of a query: what changes the answer, so the cache stores by it and identical queries in
// flight share one upstream trip. The question's bytes with the name in lower case (ASCII only,
// RFC 4343), type and class, and the RD, CD (RFC 4035 §3.2.2) and DO (RFC 3225) bits: built from
// the bytes in one pass, without decoding the name.
import { lowerAscii } from './name.js';
import type { Question } from './question.js';

/** Room for the longest question (255-byte name, type, class) and the flag byte. */
const scratch = Buffer.allocUnsafe(512);

/** Buffer#latin1Slice (what toString('latin1') calls after checking its arguments), if Node has it. */
const latin1 =
  typeof (scratch as unknown as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (n: number) => (scratch as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(0, n)
    : (n: number) => scratch.toString('latin1', 0, n);

export function questionKey(query: Uint8Array, q: Question): string {
  const start = 12;
  const nameEnd = q.end - 4;
  let n = 0;
  for (let i = start; i < nameEnd; i++) scratch[n++] = lowerAscii(query[i]!);
  for (let i = nameEnd; i < q.end; i++) scratch[n++] = query[i]!;
  scratch[n++] = keyFlags(query, q);
  return latin1(n);
}

/** The key's last byte: the query's RD and CD bits and its DO bit, over 0x40. */
export function keyFlags(query: Uint8Array, q: Question): number {
  return 0x40 | (query[2]! & 0x01) | ((query[3]! & 0x10) >>> 3) | (q.edns?.dnssecOk ? 4 : 0);
}
