// The cache key of a query: what changes the answer. Name (lower case), type, class, and the
// RD, CD (RFC 4035 §3.2.2) and DO (RFC 3225) bits.
import type { Question } from '../wire/question.js';

export function cacheKey(query: Uint8Array, q: Question): string {
  const bits = (query[2]! & 0x01) | ((query[3]! & 0x10) >>> 3) | (q.edns?.dnssecOk ? 4 : 0);
  return `${q.name}/${q.type}/${q.class}/${bits}`;
}
