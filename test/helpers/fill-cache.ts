// Run as a program (node fill-cache.js SIZE MAX_BYTES): fills a real PacketCache configured with
// cache.size SIZE and cache.max_bytes MAX_BYTES to SIZE entries, each as large as an entry can be
// within those bounds, made as the daemon makes them (questionKey of a query, makeEntry of a
// reply): the longest name a question can carry (255 bytes, so the longest key) and, in the bytes
// the entry may take (MAX_BYTES / SIZE), as many answer records as fit (each record and its TTL
// field's offset are stored). Prints one JSON line:
// entries held, the bytes they count, and the heap used after a full collection. A V8 heap too
// small for them ends the process with "heap out of memory" instead.
import { makeEntry } from '../../src/cache/entry.js';
import { PacketCache } from '../../src/cache/packet-cache.js';
import { questionKey } from '../../src/wire/question-key.js';
import { parseQuery } from '../../src/wire/question.js';

/** The per-entry cost PacketCache counts beyond the key and the entry's data (packet-cache.ts). */
const ENTRY_OVERHEAD = 180;
/** The characters an entry's data adds per TTL field: its offset (entry.ts). */
const TTL_OFFSET = 2;
const HEADER = 12;
/** Each answer: a compression pointer to the question name, type A, class, TTL, length, address. */
const RECORD = 2 + 10 + 4;

const size = Number(process.argv[2]);
const maxBytes = Number(process.argv[3]);

/** A query for a 255-byte name (labels of 63, 63, 63 and 61 letters) unique to `i`. */
function longQuery(i: number): Buffer {
  const q = Buffer.alloc(HEADER + 255 + 4);
  q.writeUInt16BE(0x0100, 2); // RD
  q.writeUInt16BE(1, 4); // QDCOUNT
  let pos = HEADER;
  const tag = i.toString(36).padStart(8, '0');
  for (const len of [63, 63, 63, 61]) {
    q[pos++] = len;
    for (let j = 0; j < len; j++) q[pos++] = j < tag.length ? tag.charCodeAt(j) : 0x61 + ((i + j) % 26);
  }
  q[pos++] = 0;
  q.writeUInt16BE(1, pos); // A
  q.writeUInt16BE(1, pos + 2); // IN
  return q;
}

/** The reply to `query` with `n` A records of TTL 3600. */
function reply(query: Buffer, n: number): Buffer {
  const r = Buffer.alloc(query.length + n * RECORD);
  query.copy(r);
  r.writeUInt16BE(0x8180, 2); // QR RD RA, NOERROR
  r.writeUInt16BE(n, 6); // ANCOUNT
  for (let k = 0, pos = query.length; k < n; k++, pos += RECORD) {
    r.writeUInt16BE(0xc000 | HEADER, pos);
    r.writeUInt16BE(1, pos + 2);
    r.writeUInt16BE(1, pos + 4);
    r.writeUInt32BE(3600, pos + 6);
    r.writeUInt16BE(4, pos + 10);
    r.writeUInt32BE(0xc0000200 + k, pos + 12);
  }
  return r;
}

const policy = { minTtl: 0, maxTtl: 86400, negativeMaxTtl: 300, servfailTtl: 0 };
const cache = new PacketCache({ size, maxBytes, staleMs: 0 });
const first = longQuery(0);
const q0 = parseQuery(first);
if (q0.kind !== 'query') throw new Error(`the long query does not parse: ${JSON.stringify(q0)}`);
const keyLength = questionKey(first, q0.question).length;
// The records that fit in an entry's share of max_bytes: each costs its bytes and its TTL offset.
const share = Math.floor(maxBytes / size);
const records = Math.max(1, Math.floor((share - ENTRY_OVERHEAD - keyLength - first.length) / (RECORD + TTL_OFFSET)));
const now = Date.now();
for (let i = 0; i < size; i++) {
  const q = longQuery(i);
  const parsed = parseQuery(q);
  if (parsed.kind !== 'query') throw new Error(`query ${i} does not parse`);
  const e = makeEntry(reply(q, records), parsed.question.end, '.', policy, now);
  if (typeof e === 'string') throw new Error(`reply ${i} not cached: ${e}`);
  cache.store(questionKey(q, parsed.question), e);
}
(globalThis as { gc?: () => void }).gc?.();
const heap = process.memoryUsage().heapUsed;
process.stdout.write(JSON.stringify({ entries: cache.entries, bytes: cache.bytes, records, heapUsed: heap }) + '\n');
