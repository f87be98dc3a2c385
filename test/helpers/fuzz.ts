// Fuzzers shared by the robustness tests and bench/fuzz.ts: a seeded PRNG (a failure replays from
// its seed), client queries broken in the ways a parser trips on (random bytes, flipped bytes, cut
// messages, counts blown up, bad labels and compression pointers, odd opcodes, classes and types,
// malformed OPT records), and upstream replies a query's ID and question would let through,
// broken after the question.
import { rawReply, type RawQuery } from './raw-upstream.js';
import { query } from './packets.js';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** The next 32-bit value. */
  next(): number {
    let z = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/**
 * The seed: FUZZ_SEED if set (`random` for a fresh one), else `fallback`. Print it: the same seed
 * gives the same queries; replies follow the order queries reach the upstream, which can vary.
 */
export function fuzzSeed(fallback: number): number {
  const given = process.env.FUZZ_SEED;
  if (given === 'random') return (Math.random() * 0x100000000) >>> 0;
  return (given ? Number(given) : fallback) >>> 0;
}

const TYPES = ['A', 'AAAA', 'TXT', 'PTR'] as const;
const HEADER = 12;

/** The end of the question of a message `query()` built (its one name, then type and class). */
function questionEnd(q: Buffer): number {
  let at = HEADER;
  while (q[at]! !== 0) at += q[at]! + 1;
  return at + 5;
}

/** A valid query for a name under `zone` (with or without EDNS), its question's end, and where its OPT record starts (-1: none). */
function validQuery(rng: Prng, zone: string): { q: Buffer; qEnd: number; opt: number } {
  const name = `${rng.int(2) ? 'z' : 'q'}${rng.int(5000)}.${zone}`;
  const edns = rng.int(3) > 0 ? rng.pick([512, 1232, 4096, 0, 65535]) : undefined;
  const q = query(name, rng.pick(TYPES), { id: rng.int(0x10000), edns, do: rng.int(4) === 0 });
  const qEnd = questionEnd(q);
  return { q, qEnd, opt: edns === undefined ? -1 : qEnd };
}

/** The kinds of broken query, each a function of a valid one. */
const QUERY_MUTATIONS: readonly ((rng: Prng, v: { q: Buffer; qEnd: number; opt: number }) => Buffer)[] = [
  // Bytes flipped anywhere.
  (rng, { q }) => {
    for (let i = 0, n = 1 + rng.int(6); i < n; i++) q[rng.int(q.length)] = rng.int(256);
    return q;
  },
  // Cut anywhere.
  (rng, { q }) => q.subarray(0, rng.int(q.length)),
  // One or all section counts blown up or random.
  (rng, { q }) => {
    if (rng.int(2)) for (const at of [4, 6, 8, 10]) q.writeUInt16BE(rng.pick([0xffff, rng.int(0x10000), 0]), at);
    else q.writeUInt16BE(rng.pick([0xffff, 2, 100, 0]), 4 + 2 * rng.int(4));
    return q;
  },
  // Random bytes after the header or the question.
  (rng, { q, qEnd }) => Buffer.concat([q.subarray(0, rng.int(2) ? HEADER : qEnd), rng.bytes(rng.int(300))]),
  // A label longer than 63, or a label length that runs past the end.
  (rng, { q }) => {
    q[HEADER] = rng.pick([64, 0x7f, 0xff, q.length]);
    return q;
  },
  // A compression pointer in the question: to itself, forward, past the end, or into the header.
  (rng, { q, qEnd }) => {
    const at = HEADER + (rng.int(2) ? 0 : q[HEADER]! + 1);
    const target = rng.pick([at, at + 2, qEnd + 10, 0xfff, 0, 4]);
    q[at] = 0xc0 | ((target >> 8) & 0x3f);
    q[at + 1] = target & 0xff;
    return q;
  },
  // A name of many empty-looking labels up to the length limit and past it.
  (rng, { q, qEnd }) => {
    const labels = Buffer.alloc(rng.pick([255, 256, 300, 600]), 1);
    for (let i = 1; i < labels.length; i += 2) labels[i] = 0x61;
    return Buffer.concat([q.subarray(0, HEADER), labels, Buffer.from([0]), q.subarray(qEnd - 4)]);
  },
  // Odd opcode, QR set, flags and RCODE at random.
  (rng, { q }) => {
    q[2] = rng.int(256);
    q[3] = rng.int(256);
    return q;
  },
  // Odd class and type: any, meta types (AXFR, IXFR, ANY, OPT), CH, NONE, unassigned.
  (rng, { q, qEnd }) => {
    q.writeUInt16BE(rng.pick([0, 41, 251, 252, 255, 65535, rng.int(0x10000)]), qEnd - 4);
    q.writeUInt16BE(rng.pick([0, 3, 4, 254, 255, 65535, rng.int(0x10000)]), qEnd - 2);
    return q;
  },
  // A malformed OPT record: its RDLENGTH past the end, its name not the root, its version or
  // extended RCODE set, options cut short, or two OPT records.
  (rng, { q, qEnd, opt }) => {
    if (opt < 0) return q;
    const rec = Buffer.from(q.subarray(opt));
    switch (rng.int(6)) {
      case 0:
        rec.writeUInt16BE(rng.pick([1, 4, 0xffff]), 9);
        return Buffer.concat([q.subarray(0, opt), rec]);
      case 1:
        rec[0] = rng.int(256);
        return Buffer.concat([q.subarray(0, opt), rec]);
      case 2:
        rec[5] = rng.int(256); // extended RCODE
        rec[6] = 1 + rng.int(255); // version
        return Buffer.concat([q.subarray(0, opt), rec]);
      case 3: {
        // An option whose length runs past the RDATA.
        const option = Buffer.from([0, rng.pick([8, 10, 12, 15]), 0, 200, 1, 2]);
        rec.writeUInt16BE(option.length, 9);
        return Buffer.concat([q.subarray(0, opt), rec, option]);
      }
      case 4: {
        const two = Buffer.concat([q.subarray(0, opt), rec, rec]);
        two.writeUInt16BE(2, 10);
        return two;
      }
      default:
        return q.subarray(0, qEnd + rng.int(rec.length));
    }
  },
];

/**
 * A client query broken in one of the ways above, for a name under `zone` (before the breaking),
 * or random bytes. Now and then one is left valid.
 */
export function fuzzQuery(rng: Prng, zone: string): Buffer {
  const r = rng.int(20);
  if (r === 0) return rng.bytes(rng.int(600));
  if (r === 1) return rng.bytes(HEADER + rng.int(40)); // header-sized noise: parsed further
  const v = validQuery(rng, zone);
  if (r === 2) return v.q;
  const out = rng.pick(QUERY_MUTATIONS)(rng, v);
  if (rng.int(4) !== 0) return out;
  // A second breaking on top (its offsets may be past a cut message: then the first one stands).
  try {
    return rng.pick(QUERY_MUTATIONS)(rng, { ...v, q: Buffer.from(out) });
  } catch {
    return out;
  }
}

/** The end of `q`'s question: its length, less dnsfwd's OPT record (11 bytes, no options) when it has one. */
function rawQuestionEnd(q: RawQuery): number {
  return q.bytes.length - ((q.decoded.additionals ?? []).length > 0 ? 11 : 0);
}

/** A reply to `q` that its ID and question would let through, broken in one of several ways (or, rarely, not at all). */
export function fuzzReply(rng: Prng, q: RawQuery, addresses: readonly string[]): Buffer {
  const qEnd = rawQuestionEnd(q);
  if (rng.int(20) === 0) return rng.bytes(rng.int(120)); // not even its ID: dropped by the matcher
  const r = Buffer.from(rawReply(q, { addresses, ttl: rng.int(600) }));
  switch (rng.int(7)) {
    case 0: // every count blown up
      for (const at of [6, 8, 10]) r.writeUInt16BE(0xffff, at);
      return r;
    case 1: // one count blown up, at random
      r.writeUInt16BE(1 + rng.int(0xffff), 6 + 2 * rng.int(3));
      return r;
    case 2: // random bytes after the question, counts random
      for (const at of [6, 8, 10]) r.writeUInt16BE(rng.int(0x10000), at);
      return Buffer.concat([r.subarray(0, qEnd), rng.bytes(rng.int(200))]);
    case 3: // cut anywhere after the question
      return r.subarray(0, qEnd + rng.int(r.length - qEnd));
    case 4: // bytes after the question flipped
      for (let i = 0, n = 1 + rng.int(4); i < n; i++) r[qEnd + rng.int(r.length - qEnd)] = rng.int(256);
      return r;
    case 5: // a record's name a compression pointer to itself, forward, or past the end
      if (r.length > qEnd + 1) {
        const target = rng.pick([qEnd, r.length, 0x3fff, 2]);
        r[qEnd] = 0xc0 | ((target >> 8) & 0x3f);
        r[qEnd + 1] = target & 0xff;
      }
      return r;
    default: // flags and RCODE at random (TC sends dnsfwd to TCP, also fuzzed), counts sometimes too
      r[2] = 0x80 | (rng.int(256) & 0x07);
      r[3] = rng.int(256);
      if (rng.int(2)) r.writeUInt16BE(rng.int(0x10000), 6 + 2 * rng.int(3));
      return r;
  }
}

/** A TCP stream a client might abuse a connection with: framed fuzzed queries, a frame cut short, a length over the message, or bare noise. */
export function fuzzTcpStream(rng: Prng, zone: string): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0, n = 1 + rng.int(4); i < n; i++) {
    const msg = fuzzQuery(rng, zone);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(rng.int(8) === 0 ? rng.int(0x10000) : msg.length);
    parts.push(len, msg);
  }
  const stream = Buffer.concat(parts);
  switch (rng.int(4)) {
    case 0:
      return stream.subarray(0, rng.int(stream.length));
    case 1:
      return rng.bytes(rng.int(500));
    default:
      return stream;
  }
}
