// Reading a client's query: the question, EDNS, and what is dropped or answered FORMERR/NOTIMP/BADVERS/REFUSED.
import t from 'tap';
import { findOpt, parseQuery, sameQuestion } from '../../src/wire/question.js';
import { Rcode } from '../../src/wire/header.js';
import { query } from '../helpers/packets.js';
import { message, optRecord, QUESTION, QUESTION_END, ROOT, rr, soaRecord, wireName } from '../helpers/raw.js';

t.test('a plain query parses to a lower-case name, type, class and end', async (t) => {
  const q = query('WwW.Example.COM', 'AAAA');
  const p = parseQuery(q);
  t.equal(p.kind, 'query');
  if (p.kind !== 'query') return;
  t.equal(p.question.name, 'www.example.com');
  t.equal(p.question.type, 28);
  t.equal(p.question.class, 1);
  t.equal(p.question.end, q.length);
  t.equal(p.question.edns, null);
});

t.test('EDNS size and DO bit are read from the OPT record', async (t) => {
  const p = parseQuery(query('example.com', 'A', { edns: 1400, do: true }));
  t.equal(p.kind, 'query');
  if (p.kind !== 'query') return;
  t.equal(p.question.edns?.udpSize, 1400);
  t.equal(p.question.edns?.dnssecOk, true);
  const noDo = parseQuery(query('example.com', 'A', { edns: 4096 }));
  t.equal(noDo.kind === 'query' && noDo.question.edns?.dnssecOk, false);
});

t.test('the root name parses as the empty string', async (t) => {
  const p = parseQuery(query('.', 'A'));
  t.equal(p.kind === 'query' && p.question.name, '');
});

t.test('dots and odd bytes inside a label are escaped, so routing stays label-wise', async (t) => {
  const q = query('x', 'A');
  const odd = Buffer.concat([q.subarray(0, 12), Buffer.from([3, 0x61, 0x2e, 0x62, 6]), Buffer.from('consul'), Buffer.from([0, 0, 1, 0, 1])]);
  const p = parseQuery(odd);
  t.equal(p.kind === 'query' && p.question.name, 'a\\046b.consul');
});

t.test('what gets dropped', async (t) => {
  t.equal(parseQuery(Buffer.alloc(5)).kind, 'drop', 'shorter than a header');
  const resp = query('example.com');
  resp[2] |= 0x80;
  t.equal(parseQuery(resp).kind, 'drop', 'QR=1');
});

t.test('what gets FORMERR or NOTIMP', async (t) => {
  const two = query('example.com');
  two[5] = 2;
  const p2 = parseQuery(two);
  t.equal(p2.kind === 'error' && p2.rcode, Rcode.FORMERR, 'QDCOUNT=2');
  const zero = query('example.com');
  zero[5] = 0;
  t.equal(parseQuery(zero).kind === 'error', true, 'QDCOUNT=0');
  const cut = query('example.com').subarray(0, 20);
  const pc = parseQuery(cut);
  t.ok(pc.kind === 'error' && pc.rcode === Rcode.FORMERR && pc.question === null, 'truncated question');
  const badAr = query('example.com');
  badAr[11] = 3; // ARCOUNT=3 with nothing after the question
  const pa = parseQuery(badAr);
  t.ok(pa.kind === 'error' && pa.rcode === Rcode.FORMERR && pa.question !== null, 'missing additional records');
  const notify = query('example.com');
  notify[2] = (notify[2]! & 0x87) | (4 << 3);
  const pn = parseQuery(notify);
  t.ok(pn.kind === 'error' && pn.rcode === Rcode.NOTIMP, 'opcode NOTIFY');
  const compressed = Buffer.concat([query('x').subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  t.equal(parseQuery(compressed).kind, 'error', 'pointer in the question');
});

t.test('parseQuery never throws on random bytes', async (t) => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
  const kinds = new Set<string>();
  t.doesNotThrow(() => {
    for (let i = 0; i < 5000; i++) kinds.add(parseQuery(Buffer.from(Array.from({ length: rnd() % 80 }, rnd))).kind);
    for (let i = 0; i < 2000; i++) {
      const b = query('fuzz.example.com', 'A', { edns: 1232 });
      for (let k = 0; k < 3; k++) b[12 + (rnd() % (b.length - 12))] = rnd();
      kinds.add(parseQuery(b).kind);
    }
  }, '5000 random and 2000 mutated messages');
  t.same([...kinds].sort(), ['drop', 'error', 'query'], 'every outcome was reached');
});

t.test('sameQuestion compares the name case-insensitively and type/class exactly', async (t) => {
  const a = query('Example.COM', 'A');
  const b = query('example.com', 'A');
  const end = a.length;
  t.ok(sameQuestion(a, b, end));
  const c = query('example.con', 'A');
  t.notOk(sameQuestion(a, c, end));
  const d = query('example.com', 'AAAA');
  t.notOk(sameQuestion(b, d, end));
});

/** A query for `a.example` A (RD=1) with the given records after the question. */
const raw = (counts: { an?: number; ns?: number; ar?: number }, ...records: number[][]) => message(0x0100, counts, ...records);

// Guards `< HEADER_SIZE`: a bare 12-byte header is a message we can answer (FORMERR), not noise.
t.test('a bare header (QDCOUNT=0) gets FORMERR, not silence', async (t) => {
  const p = parseQuery(query('example.com').subarray(0, 12).fill(0, 4));
  t.ok(p.kind === 'error' && p.rcode === Rcode.FORMERR, 'FORMERR for a 12-byte message');
});

// Guards the label length and name length bounds (RFC 1035 §3.1: labels ≤ 63, names ≤ 255 bytes).
t.test('a 63-byte label and a 255-byte name parse; 64 and 256 do not', async (t) => {
  const named = (labels: number[]) => {
    const name = labels.flatMap((n) => [n, ...Buffer.alloc(n, 0x61)]);
    return Buffer.concat([query('x').subarray(0, 12), Buffer.from([...name, 0, 0, 1, 0, 1])]);
  };
  t.equal(parseQuery(named([63])).kind, 'query', 'a 63-byte label');
  t.equal(parseQuery(named([64])).kind, 'error', 'a 64-byte label (0x40 is a label type, not a length)');
  t.equal(parseQuery(named([63, 63, 63, 61])).kind, 'query', '255 bytes with the root label');
  t.equal(parseQuery(named([63, 63, 63, 62])).kind, 'error', '256 bytes');
});

// Guards `end > b.length`: a name that ends right before the end leaves no room for type and class.
t.test('a question cut inside its type and class is FORMERR without a question', async (t) => {
  const q = query('example.com');
  for (const cut of [1, 2, 3, 4]) {
    const p = parseQuery(q.subarray(0, q.length - cut));
    t.ok(p.kind === 'error' && p.rcode === Rcode.FORMERR && p.question === null, `${cut} byte(s) short`);
  }
});

// Guards the fast path's `counts === 1` and `arcount === 1`: OPT counts only in the additional section.
t.test('an OPT-typed record in the answer section is not EDNS', async (t) => {
  const alone = parseQuery(raw({ an: 1 }, optRecord()));
  t.ok(alone.kind === 'query' && alone.question.edns === null, 'the only record, in the answer section');
  const withOther = parseQuery(raw({ an: 1, ar: 1 }, optRecord(), rr(ROOT, 1, 1, 0, [10, 0, 0, 1])));
  t.ok(withOther.kind === 'query' && withOther.question.edns === null, 'followed by an address record in the additional section');
});

// Guards the fast path's root-owner and type checks: only a root-owned OPT record is EDNS.
t.test('a lone additional record is EDNS only when it is an OPT record owned by the root', async (t) => {
  // A two-byte label whose bytes read like type 41 right after the owner's first byte.
  const lookalike = parseQuery(raw({ ar: 1 }, rr([2, 0x00, 0x29, 0], 1, 1, 0, [10, 0, 0, 1])));
  t.ok(lookalike.kind === 'query' && lookalike.question.edns === null, 'an address record owned by a name that looks like an OPT type');
  const address = parseQuery(raw({ ar: 1 }, rr(ROOT, 1, 1, 0, [10, 0, 0, 1])));
  t.ok(address.kind === 'query' && address.question.edns === null, 'a root-owned address record');
  const edns = parseQuery(raw({ ar: 1 }, optRecord(1400)));
  t.ok(edns.kind === 'query' && edns.question.edns?.udpSize === 1400, 'the OPT record itself');
});

// Guards the fast path's RDLENGTH bound: an OPT record whose data runs past the end is malformed.
t.test('an OPT record whose RDLENGTH runs past the message is FORMERR', async (t) => {
  const b = raw({ ar: 1 }, optRecord());
  b.writeUInt16BE(4, b.length - 2); // RDLENGTH 4, no data follows
  const p = parseQuery(b);
  t.ok(p.kind === 'error' && p.rcode === Rcode.FORMERR && p.question !== null, 'FORMERR, with the question');
});

// Guards `r.type !== TYPE_OPT`: other additional records (a TSIG after the OPT) are not OPT records.
t.test('a TSIG record after the OPT record leaves the EDNS reading alone', async (t) => {
  const key = wireName('key');
  const p = parseQuery(raw({ ar: 2 }, optRecord(1400), rr(key, 250, 255, 0, [0, 0])));
  t.ok(p.kind === 'query' && p.question.edns?.udpSize === 1400, 'EDNS from the OPT record');
});

// Guards the `twice` check (RFC 6891 §6.1.1): two OPT records, or one not owned by the root, is FORMERR.
t.test('two OPT records, or an OPT record not owned by the root, is FORMERR', async (t) => {
  const two = parseQuery(raw({ ar: 2 }, optRecord(), optRecord()));
  t.ok(two.kind === 'error' && two.rcode === Rcode.FORMERR, 'two OPT records');
  const owned = parseQuery(raw({ ar: 1 }, rr(wireName('x'), 41, 1232, 0)));
  t.ok(owned.kind === 'error' && owned.rcode === Rcode.FORMERR, 'an OPT record owned by x.');
});

// A reply that ends before the question does cannot hold it, however the bytes it has compare.
t.test('sameQuestion is false for a reply cut anywhere inside the question', async (t) => {
  const q = query('example.com');
  for (let len = 0; len < q.length; len++) t.notOk(sameQuestion(q, q.subarray(0, len), q.length), `${len} of ${q.length} bytes`);
  t.ok(sameQuestion(q, Buffer.from(q), q.length), 'the whole question');
});

// Guards findOpt's early stop: in a reply with two OPT records (malformed, RFC 6891 §6.1.1),
// the first is the one replaced or kept, as the walk meets it.
t.test('findOpt finds the first OPT record of the additional section', async (t) => {
  const b = message(0x8180, { ar: 3 }, rr(ROOT, 1, 1, 0, [10, 0, 0, 1]), optRecord(4096), optRecord(512));
  const first = QUESTION_END + 15;
  t.match(findOpt(b, QUESTION_END), { start: first, type: 41, end: first + 11 });
  t.equal(findOpt(message(0x8180, { ar: 1 }, rr(ROOT, 1, 1, 0, [10, 0, 0, 1])), QUESTION_END), null, 'none');
});

// Guards `i < before` in findOpt: an OPT-typed record in the answer or authority section is not
// the reply's OPT record (RFC 6891 §6.1.1).
t.test('findOpt looks in the additional section only', async (t) => {
  t.equal(findOpt(message(0x8180, { an: 1 }, optRecord()), QUESTION_END), null, 'in the answer section');
  t.equal(findOpt(message(0x8180, { ns: 1 }, optRecord()), QUESTION_END), null, 'in the authority section');
  const b = message(0x8180, { an: 1, ar: 1 }, optRecord(4096), optRecord(512));
  t.match(findOpt(b, QUESTION_END), { start: b.length - 11 }, 'the one after it, in the additional section');
  t.equal(findOpt(message(0x8180, { an: 1, ar: 1 }, [0xc0], optRecord()), QUESTION_END), null, 'an answer record that does not parse');
});

/** A message with ID 0x1234, the flags (16 bits) and section counts given, then `parts` as they are. */
function msg(flags: number, counts: { qd: number; an?: number; ns?: number; ar?: number }, ...parts: number[][]): Buffer {
  const { qd, an = 0, ns = 0, ar = 0 } = counts;
  return Buffer.from([0x12, 0x34, flags >> 8, flags & 0xff, 0, qd, 0, an, 0, ns, 0, ar, ...parts.flat()]);
}
/** The flags of a query with this opcode and RD=1. */
const opcode = (n: number) => (n << 11) | 0x0100;
/** The second question `b.a.example` A IN, its name ending in a pointer to the first question's. */
const COMPRESSED = [1, 0x62, 0xc0, 12, 0, 1, 0, 1];
/** An OPT record with the DO bit, as `dig +dnssec` sends. */
const optDo = (udpSize: number) => rr(ROOT, 41, udpSize, 0x8000);

// Guards the opcode check's place, before QDCOUNT (RFC 1035 §4.1.1): an opcode dnsfwd does not
// implement is NOTIMP, whatever the sections hold.
t.test('an unknown opcode is NOTIMP whatever QDCOUNT says', async (t) => {
  for (const qd of [0, 1, 2]) {
    const p = parseQuery(msg(opcode(15), { qd }, ...Array<number[]>(qd).fill(QUESTION)));
    t.ok(p.kind === 'error' && p.rcode === Rcode.NOTIMP, `opcode 15, QDCOUNT=${qd}`);
  }
  const cut = parseQuery(msg(opcode(5), { qd: 1 }, QUESTION.slice(0, 4)));
  t.match(cut, { kind: 'error', rcode: Rcode.NOTIMP, question: null }, 'UPDATE with its question cut short: no question');
  const notify = parseQuery(msg(opcode(4), { qd: 1, ar: 1 }, QUESTION, optRecord(1400)));
  t.match(
    notify,
    { kind: 'error', rcode: Rcode.NOTIMP, question: { type: 1, class: 1, end: QUESTION_END, edns: { udpSize: 1400 } }, edns: { udpSize: 1400 } },
    'NOTIFY: its question and its OPT record',
  );
});

// Guards the error path's OPT search (RFC 6891 §7): without one question that parses, the OPT
// record is still found after the questions, however many, their names compressed or not.
t.test('an error for a message without one parsed question still finds the OPT record', async (t) => {
  const none = parseQuery(msg(0x0100, { qd: 0, ar: 1 }, optDo(1400)));
  t.match(none, { kind: 'error', rcode: Rcode.FORMERR, question: null, edns: { udpSize: 1400, dnssecOk: true, version: 0 } }, 'QDCOUNT=0');
  const two = parseQuery(msg(0x0100, { qd: 2, ar: 1 }, QUESTION, COMPRESSED, optRecord(1400)));
  t.match(two, { rcode: Rcode.FORMERR, question: null, edns: { udpSize: 1400, dnssecOk: false } }, 'QDCOUNT=2: no question, though the first parses');
  const pointer = parseQuery(msg(0x0100, { qd: 1, ar: 1 }, [0xc0, 12, 0, 1, 0, 1], optRecord(1400)));
  t.match(pointer, { rcode: Rcode.FORMERR, question: null, edns: { udpSize: 1400 } }, 'a question name that is a pointer');
  const afterSoa = parseQuery(msg(opcode(15), { qd: 0, ns: 1, ar: 1 }, soaRecord(60, 60), optRecord(1400)));
  t.match(afterSoa, { rcode: Rcode.NOTIMP, question: null, edns: { udpSize: 1400 } }, 'after a record in the authority section');
  const inAnswers = parseQuery(msg(0x0100, { qd: 0, an: 1 }, optRecord(1400)));
  t.match(inAnswers, { rcode: Rcode.FORMERR, edns: null }, 'an OPT record in the answer section is not one');
  const edns1 = parseQuery(msg(0x0100, { qd: 0, ar: 1 }, rr(ROOT, 41, 1400, 0x010000)));
  t.match(edns1, { rcode: Rcode.FORMERR, edns: { version: 1 } }, 'EDNS version 1: FORMERR comes first, with the OPT record read');
});

// Guards "reliably": a malformed question or record, or OPT records that are not one root-owned
// record, give no OPT record at all rather than a guess.
t.test('an error carries no OPT record when the records cannot be read reliably', async (t) => {
  const badName = parseQuery(msg(0x0100, { qd: 1, ar: 1 }, [0x41, 0x61, 0, 0, 1, 0, 1], optRecord()));
  t.match(badName, { rcode: Rcode.FORMERR, question: null, edns: null }, 'label type 0x40 in the question name');
  const missing = parseQuery(msg(0x0100, { qd: 3, ar: 1 }, QUESTION, COMPRESSED, optRecord()));
  t.match(missing, { rcode: Rcode.FORMERR, edns: null }, 'QDCOUNT=3 with two questions: the OPT record read as the third');
  const twoOpts = parseQuery(msg(0x0100, { qd: 0, ar: 2 }, optRecord(), optRecord()));
  t.match(twoOpts, { rcode: Rcode.FORMERR, edns: null }, 'two OPT records');
  const owned = parseQuery(msg(0x0100, { qd: 0, ar: 1 }, rr(wireName('x'), 41, 1400, 0)));
  t.match(owned, { rcode: Rcode.FORMERR, edns: null }, 'an OPT record owned by x.');
  const short = parseQuery(msg(opcode(15), { qd: 0, ar: 2 }, optRecord()));
  t.match(short, { rcode: Rcode.NOTIMP, edns: null }, 'ARCOUNT=2 with one record');
});

/** A query with RD=1 for `version.bind` of this type and class, then `records` in the additional section. */
const asked = (type: number, klass: number, ...records: number[][]) =>
  msg(0x0100, { qd: 1, ar: records.length }, [...wireName('version.bind'), type >> 8, type & 0xff, klass >> 8, klass & 0xff], ...records);
const TXT = 16;

// Guards the fast path's `class >= CH` and refusal()'s class checks: a CHAOS or Hesiod query says
// nothing an upstream should answer for dnsfwd, whatever its name or type.
t.test('CH and HS queries are REFUSED, with their question and OPT record', async (t) => {
  for (const [klass, name] of [[3, 'CH'], [4, 'HS']] as const) {
    for (const type of [TXT, 1]) {
      const p = parseQuery(asked(type, klass, optRecord(1400)));
      t.match(
        p,
        { kind: 'error', rcode: Rcode.REFUSED, question: { type, class: klass, edns: { udpSize: 1400 } }, edns: { udpSize: 1400 }, why: `class ${name}` },
        `class ${name}, type ${type}`,
      );
    }
  }
  const plain = parseQuery(asked(TXT, 3));
  t.match(plain, { rcode: Rcode.REFUSED, question: { end: 30, edns: null }, edns: null }, 'without EDNS');
});

// Guards the fast path's `type >= IXFR` and refusal()'s type checks: zone transfers (RFC 5936,
// RFC 1995) are refused in any class.
t.test('AXFR and IXFR are REFUSED', async (t) => {
  for (const [type, name] of [[252, 'AXFR'], [251, 'IXFR']] as const) {
    for (const klass of [1, 255]) {
      const p = parseQuery(asked(type, klass, optRecord(1400)));
      t.match(p, { kind: 'error', rcode: Rcode.REFUSED, question: { type, class: klass }, why: new RegExp(`^${name}`) }, `${name}, class ${klass}`);
    }
  }
  const ixfr = parseQuery(msg(0x0000, { qd: 1, ns: 1 }, [...wireName('example'), 0, 251, 0, 1], soaRecord(60, 60)));
  t.match(ixfr, { rcode: Rcode.REFUSED, question: { type: 251, edns: null } }, 'IXFR with its SOA in the authority section (RFC 1995 §3)');
});

// Guards refusal()'s last line: past the fast path, what is none of these is forwarded.
t.test('other classes and types beyond the fast path are not refused', async (t) => {
  for (const [type, klass, what] of [[255, 1, 'type ANY'], [257, 1, 'CAA'], [65535, 1, 'type 65535'], [1, 255, 'class ANY'], [1, 254, 'class NONE'], [TXT, 2, 'class CS']] as const) {
    t.match(parseQuery(asked(type, klass)), { kind: 'query', question: { type, class: klass } }, what);
  }
});

// RFC 6891 §6.1.3: a version we do not speak is BADVERS, before anything about the question.
t.test('a CH query with EDNS version 1 is BADVERS', async (t) => {
  t.match(parseQuery(asked(TXT, 3, rr(ROOT, 41, 1400, 0x010000))), { kind: 'error', rcode: Rcode.BADVERS });
});
