// Reading a client's query: the question, EDNS, and what is dropped or answered FORMERR/NOTIMP/BADVERS.
import t from 'tap';
import { parseQuery, sameQuestion } from '../../src/wire/question.js';
import { Rcode } from '../../src/wire/header.js';
import { query } from '../helpers/packets.js';

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
