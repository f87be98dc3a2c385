// Walking names, questions and records in raw messages: every malformed shape gives -1 (or null), never a
// position past the end of the message; counts the bytes cannot hold are refused before any record is read.
import t from 'tap';
import { type RecordSpan, sectionsEnd, skipName, skipQuestions, walkRecords } from '../../src/wire/records.js';
import { message, optRecord, QUESTION_END, rr, wireName } from '../helpers/raw.js';

const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());

t.test('skipName: plain and compressed names', async (t) => {
  t.equal(skipName(bytes(wireName('a.example')), 0), 11, 'an uncompressed name');
  t.equal(skipName(bytes([1, 0x61, 0xc0, 12]), 0), 4, 'a label, then a pointer');
  t.equal(skipName(bytes([1, 0x61]), 0), -1, 'no root label before the end');
});

// Guards the pointer bound: both bytes of a compression pointer must be in the message.
t.test('skipName: a pointer cut after its first byte is malformed', async (t) => {
  t.equal(skipName(bytes([1, 0x61, 0xc0]), 0), -1);
  t.equal(skipName(bytes([0xc0, 0x0c]), 0), 2, 'a whole pointer that ends the message');
});

// Guards `(len & 0xc0) !== 0`: label types 0x40 and 0x80 are not lengths (RFC 6891 §5).
t.test('skipName: label types 0x40 and 0x80 are malformed', async (t) => {
  const long = (first: number) => bytes([first], Array(first).fill(0x61), [0]); // as many bytes as the byte would count
  t.equal(skipName(long(0x41), 0), -1, '0x41');
  t.equal(skipName(long(0x81), 0), -1, '0x81');
});

/** The one record at offset 0 as walkRecords sees it, or null when it is malformed. */
function onlyRecord(b: Uint8Array): RecordSpan | null {
  let seen: RecordSpan | null = null;
  return walkRecords(b, 0, 1, (r) => void (seen = r)) < 0 ? null : seen;
}

// The bounds of one record: a bad name, a fixed part or RDATA past the end.
t.test('a record that does not fit is malformed', async (t) => {
  const a = rr(wireName('a'), 1, 1, 60, [10, 0, 0, 1]);
  t.match(onlyRecord(bytes(a)), { start: 0, type: 1, ttl: 7, rdata: 13, end: 17 }, 'the whole record');
  t.equal(onlyRecord(bytes(a.slice(0, -1))), null, 'RDATA one byte short');
  t.equal(onlyRecord(bytes(a.slice(0, 12))), null, 'fixed part one byte short');
  t.equal(onlyRecord(bytes([0x41], a.slice(1))), null, 'owner name with label type 0x40');
  t.match(onlyRecord(bytes(rr([0], 41, 1232, 0))), { end: 11 }, 'an empty RDATA that ends the message');
});

// A record cut anywhere, its ten fixed bytes included, is malformed: the missing bytes must not
// read as a short RDLENGTH that fits (an empty RDATA is the hardest case).
t.test('a record cut at any byte is malformed', async (t) => {
  for (const record of [rr([0], 41, 1232, 0), rr(wireName('a'), 1, 1, 60, [10, 0, 0, 1])]) {
    for (let len = 0; len < record.length; len++) t.equal(onlyRecord(bytes(record.slice(0, len))), null, `${len} of ${record.length} bytes`);
    t.not(onlyRecord(bytes(record)), null, `all ${record.length} bytes`);
  }
});

// Guards the visitor's early stop, and a malformed record ending the walk.
t.test('walkRecords: the end of the last record, or -1', async (t) => {
  const two = bytes(rr([0], 1, 1, 0, [1, 2, 3, 4]), rr([0], 16, 1, 0, [0]));
  t.equal(walkRecords(two, 0, 2), two.length, 'both records');
  t.equal(walkRecords(two, 0, 3), -1, 'a third record is missing');
  const seen: number[] = [];
  t.equal(walkRecords(two, 0, 2, (r) => (seen.push(r.type), false)), -1, 'the visitor stopped the walk');
  t.same(seen, [1], 'after the first record');
});

/** A question: `name` bytes, then type A and class IN. */
const question = (name: number[]) => [...name, 0, 1, 0, 1];

t.test('skipQuestions: the end of the last question, names compressed or not', async (t) => {
  const first = question(wireName('a.example'));
  t.equal(skipQuestions(bytes(first), 0, 1), 15, 'one uncompressed question');
  t.equal(skipQuestions(bytes(first, question([1, 0x62, 0xc0, 0])), 0, 2), 23, 'a second one ending in a pointer');
  t.equal(skipQuestions(bytes(question([0xc0, 12])), 0, 1), 6, 'a name that is only a pointer');
  t.equal(skipQuestions(bytes([1, 2, 3]), 2, 0), 2, 'no question: where it started');
});

// Guards `afterName < 0`: a malformed name ends the skip; reading on from past it would take
// whatever bytes follow for questions.
t.test('skipQuestions: a malformed name in any question is -1', async (t) => {
  const first = question(wireName('a'));
  t.equal(skipQuestions(bytes(first, question([0x41, 0x61])), 0, 2), -1, 'label type 0x40 in the second');
  t.equal(skipQuestions(bytes(question([0x81]), first, first), 0, 1), -1, 'label type 0x80 in the only one');
});

// Guards the end check: a last question cut inside its type and class is not skipped.
t.test('skipQuestions: a question cut inside its type and class is -1', async (t) => {
  const q = question(wireName('a'));
  for (const cut of [1, 2, 3, 4]) t.equal(skipQuestions(bytes(q.slice(0, q.length - cut)), 0, 1), -1, `${cut} byte(s) short`);
  t.equal(skipQuestions(bytes(q), 0, 1), q.length, 'the whole question ends the message');
});

/**
 * `b` behind a proxy that counts the reads of its bytes: a walk that trusts a count reads (or
 * allocates) per record counted; one bounded by the length first reads the header and stops.
 */
function counted(b: Uint8Array): { bytes: Uint8Array; reads: () => number } {
  let reads = 0;
  const bytes = new Proxy(b, {
    get: (target, prop) => {
      if (typeof prop === 'string' && /^\d+$/.test(prop)) reads++;
      return Reflect.get(target, prop);
    },
  });
  return { bytes, reads: () => reads };
}

/** A response with the question `a.example` and every count field `n`, then `tail`. */
function hugeCounts(n: number, tail: number[] = []): Buffer {
  const b = message(0x8180, {}, tail);
  b.writeUInt16BE(n, 6);
  b.writeUInt16BE(n, 8);
  b.writeUInt16BE(n, 10);
  return b;
}

const A = rr([0xc0, 12], 1, 1, 60, [10, 0, 0, 1]);

t.test('sectionsEnd: the end of the last record of a reply whose sections parse', async (t) => {
  const b = message(0x8180, { an: 2, ar: 1 }, A, A, optRecord());
  t.equal(sectionsEnd(b, QUESTION_END), b.length);
  t.equal(sectionsEnd(message(0x8180, {}), QUESTION_END), QUESTION_END, 'no records: the question\'s end');
  const trailing = Buffer.concat([b, Buffer.from([0, 0])]);
  t.equal(sectionsEnd(trailing, QUESTION_END), b.length, 'bytes after the last record are not read');
});

t.test('sectionsEnd: -1 for a record cut anywhere, a count one too many, or QDCOUNT other than 1', async (t) => {
  const b = message(0x8180, { an: 2, ar: 1 }, A, A, optRecord());
  for (let len = QUESTION_END; len < b.length; len++) t.equal(sectionsEnd(b.subarray(0, len), QUESTION_END), -1, `${len} of ${b.length} bytes`);
  t.equal(sectionsEnd(message(0x8180, { an: 3, ar: 1 }, A, A, optRecord()), QUESTION_END), -1, 'ANCOUNT one more than there are');
  t.equal(sectionsEnd(message(0x8180, { an: 1 }, [0x41], Array(40).fill(0)), QUESTION_END), -1, 'an owner name with label type 0x40');
  t.equal(sectionsEnd(message(0x8180, { an: 1 }, [0x41], Array(400).fill(0)), QUESTION_END), -1, 'the same, with bytes enough after it to look like a record');
  t.equal(sectionsEnd(message(0x8180, {}).subarray(0, QUESTION_END - 1), QUESTION_END), -1, 'no records, and shorter than the question');
  for (const qd of [0, 2]) {
    const other = Buffer.from(b);
    other.writeUInt16BE(qd, 4);
    t.equal(sectionsEnd(other, QUESTION_END), -1, `QDCOUNT ${qd}`);
  }
  t.equal(sectionsEnd(b.subarray(0, QUESTION_END - 1), QUESTION_END), -1, 'shorter than the question');
});

// The hostile reply: the right ID and question, then counts of 65535 over a few bytes.
t.test('sectionsEnd: counts of 65535 over a 40-byte reply are refused from the header alone', async (t) => {
  const b = hugeCounts(0xffff, A.slice(0, 13)); // an A record's first 13 bytes
  t.equal(b.length, 40);
  const c = counted(b);
  t.equal(sectionsEnd(c.bytes, QUESTION_END), -1);
  t.ok(c.reads() <= 12, `only header bytes read (${c.reads()} reads), none per counted record`);
  // The bound is exact: as many minimal records as the bytes hold parse; one more is refused.
  const root = rr([0], 1, 1, 0);
  const three = message(0x8180, { an: 3 }, root, root, root);
  t.equal(sectionsEnd(three, QUESTION_END), three.length, 'three 11-byte records in 33 bytes');
  three.writeUInt16BE(4, 6);
  const c4 = counted(three);
  t.equal(sectionsEnd(c4.bytes, QUESTION_END), -1, 'four promised in 33 bytes');
  t.ok(c4.reads() <= 12, 'refused before the walk');
});

t.test('walkRecords and skipQuestions refuse counts the bytes cannot hold before reading a record', async (t) => {
  const b = hugeCounts(0xffff, A);
  const c = counted(b);
  let visits = 0;
  t.equal(walkRecords(c.bytes, QUESTION_END, 0xffff * 3, () => void visits++), -1);
  t.equal(visits, 0, 'no record visited');
  t.equal(c.reads(), 0, 'no byte read');
  const q = counted(b);
  t.equal(skipQuestions(q.bytes, 12, 0xffff), -1);
  t.equal(q.reads(), 0, 'no byte read');
  t.equal(skipQuestions(b, 12, 1), QUESTION_END, 'one question that is there');
});
