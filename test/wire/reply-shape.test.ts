// analyseReply: where an upstream reply's TTL fields are, its OPT record, and the negative TTL its
// authority SOA gives (RFC 2308 §5); null for records that do not parse or break RFC 6891 §6.1.1.
import t from 'tap';
import { analyseReply } from '../../src/wire/reply-shape.js';
import { message, optRecord, QUESTION_END, rr, soaRdata, soaRecord, wireName } from '../helpers/raw.js';

const RESPONSE = 0x8180;
const A = (ttl: number) => rr(wireName('a.example'), 1, 1, ttl, [10, 0, 0, 1]);
const shape = (counts: { an?: number; ns?: number; ar?: number }, ...records: number[][]) =>
  analyseReply(message(RESPONSE, counts, ...records), QUESTION_END);

t.test('a well-formed reply: TTL fields, OPT span, end', async (t) => {
  const b = message(RESPONSE, { an: 1, ar: 1 }, A(300), optRecord());
  const s = analyseReply(b, QUESTION_END);
  t.same(s?.ttlFields, [QUESTION_END + 15, 300], 'the A record\'s TTL, none for the OPT record');
  t.same([s?.optStart, s?.optEnd, s?.end], [b.length - 11, b.length, b.length]);
});

// Counts of 65535 over a 40-byte reply: nothing is allocated for the records they promise.
t.test('counts the bytes cannot hold do not parse, refused before the TTL array is made', async (t) => {
  const b = message(RESPONSE, { an: 1 }, rr([0xc0, 12], 1, 1, 60, [10, 0, 0, 1]));
  b.writeUInt16BE(0xffff, 6);
  b.writeUInt16BE(0xffff, 8);
  b.writeUInt16BE(0xffff, 10);
  let reads = 0;
  const watched = new Proxy(b, {
    get: (target, prop) => {
      if (typeof prop === 'string' && /^\d+$/.test(prop)) reads++;
      return Reflect.get(target, prop);
    },
  });
  t.equal(analyseReply(watched, QUESTION_END), null);
  t.ok(reads <= 12, `only the header read (${reads} reads)`);
});

// Guards the record bounds: a name, fixed part or RDATA that runs past the message.
t.test('records that run past the end do not parse', async (t) => {
  const b = message(RESPONSE, { an: 1 }, A(300));
  t.equal(analyseReply(b.subarray(0, b.length - 1), QUESTION_END), null, 'RDATA one byte short');
  t.equal(analyseReply(b.subarray(0, b.length - 5), QUESTION_END), null, 'fixed part cut');
  t.equal(shape({ an: 1 }, [0x41, 0x61], Array(300).fill(0)), null, 'an owner name with label type 0x40, bytes after it');
  t.ok(analyseReply(b, QUESTION_END), 'the whole message parses');
});

// A reply cut at any byte of its records, their fixed parts included, does not parse.
t.test('a reply cut at any byte after the question does not parse', async (t) => {
  const b = message(RESPONSE, { an: 1, ar: 1 }, A(300), optRecord());
  for (let len = QUESTION_END; len < b.length; len++) t.equal(analyseReply(b.subarray(0, len), QUESTION_END), null, `${len} of ${b.length} bytes`);
});

// Guards `i < answers + authority || optStart >= 0` (RFC 6891 §6.1.1): one OPT, in the additional section.
t.test('an OPT record outside the additional section, or a second one, does not parse', async (t) => {
  t.equal(shape({ an: 1 }, optRecord()), null, 'in the answer section');
  t.equal(shape({ ns: 1 }, optRecord()), null, 'in the authority section');
  t.equal(shape({ ar: 2 }, optRecord(), optRecord()), null, 'two in the additional section');
  t.ok(shape({ ar: 1 }, optRecord()), 'one in the additional section');
});

// Guards `i >= answers && i < answers + authority`: only the authority section's SOA gives the negative TTL.
t.test('the negative TTL comes from the SOA in the authority section only', async (t) => {
  t.equal(shape({ an: 1, ns: 1 }, soaRecord(10, 10), soaRecord(100, 100))?.negativeTtl, 100, 'not from a SOA among the answers');
  t.equal(shape({ ns: 1, ar: 1 }, soaRecord(300, 300), soaRecord(5, 5))?.negativeTtl, 300, 'not from a SOA among the additional records');
  t.equal(shape({ an: 1 }, soaRecord(10, 10))?.negativeTtl, -1, 'a SOA answer alone gives none');
});

// Guards the smallest-of-all-SOAs rule, whatever their order.
t.test('with two SOAs in the authority section, the smaller negative TTL wins', async (t) => {
  t.equal(shape({ ns: 2 }, soaRecord(60, 60), soaRecord(300, 300))?.negativeTtl, 60, 'smaller first');
  t.equal(shape({ ns: 2 }, soaRecord(300, 300), soaRecord(60, 60))?.negativeTtl, 60, 'smaller last');
});

// Guards the SOA RDATA checks: MNAME, RNAME and the five 32-bit fields must all be there.
t.test('a SOA whose RDATA is malformed does not parse', async (t) => {
  const soa = (rdata: number[]) => rr(wireName('example'), 6, 1, 300, rdata);
  t.equal(shape({ ns: 1 }, soa(soaRdata(300).slice(0, -1))), null, 'MINIMUM one byte short');
  const badRname = soa([...wireName('ns.example'), 0x41, 0x61, ...Array(20).fill(0)]);
  t.equal(shape({ ns: 1 }, badRname), null, 'RNAME with label type 0x40');
  const badMname = soa([0x41, 0x61, ...wireName('admin.example'), ...Array(20).fill(0)]);
  t.equal(shape({ ns: 1 }, badMname), null, 'MNAME with label type 0x40');
  t.equal(shape({ ns: 1 }, soa(soaRdata(300)))?.negativeTtl, 300, 'the well-formed SOA');
});

// Guards `v > 0x7fffffff` (RFC 2181 §8): a TTL with the top bit set counts as zero.
t.test('a TTL with the top bit set is zero; 2^31 - 1 is kept', async (t) => {
  const ttl = (value: number) => shape({ an: 1 }, A(value))?.ttlFields[1];
  t.equal(ttl(0x80000000), 0, '2^31');
  t.equal(ttl(0x80000001), 0, '2^31 + 1');
  t.equal(ttl(0xffffffff), 0, '2^32 - 1');
  t.equal(ttl(0x7fffffff), 0x7fffffff, '2^31 - 1');
});
