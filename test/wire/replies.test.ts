// Replies dnsfwd makes itself (errors, truncation), our OPT record, and the trace summary.
import t from 'tap';
import dnsPacket from 'dns-packet';
import dns2 from 'dns2';
import { Rcode } from '../../src/wire/header.js';
import { parseQuery, type Question } from '../../src/wire/question.js';
import { clientUdpLimit, errorReply, truncateReply } from '../../src/wire/replies.js';
import { summariseReply } from '../../src/wire/trace-summary.js';
import { answer, decode, query } from '../helpers/packets.js';
import { ROOT, rr } from '../helpers/raw.js';

function question(q: Buffer): Question {
  const p = parseQuery(q);
  if (p.kind !== 'query') throw new Error('test query did not parse');
  return p.question;
}

t.test('SERVFAIL keeps ID, question and RD, sets QR and RA; both decoders agree', async (t) => {
  const q = query('Svc.Consul', 'A', { id: 0xbeef });
  const r = errorReply(q, Rcode.SERVFAIL, question(q));
  const a = decode(r);
  t.equal(a.id, 0xbeef);
  t.equal(a.type, 'response');
  t.equal(a.rcode, 'SERVFAIL');
  t.equal(a.flag_rd, true);
  t.equal(a.flag_ra, true);
  t.same(a.questions, [{ name: 'Svc.Consul', type: 'A', class: 'IN' }]);
  const b = dns2.Packet.parse(r);
  t.equal(b.header.id, 0xbeef);
  t.equal(b.header.rcode, 2);
  t.equal(b.header.qr, 1);
  t.equal(b.questions[0]?.name, 'Svc.Consul');
});

t.test('an EDNS query gets an OPT record back in an error reply (RFC 6891 §7)', async (t) => {
  const q = query('example.com', 'A', { edns: 4096 });
  const r = errorReply(q, Rcode.NOTIMP, question(q));
  const a = decode(r);
  t.equal(a.rcode, 'NOTIMP');
  const opt = a.additionals?.find((x) => x.type === 'OPT');
  t.ok(opt, 'OPT present');
  t.equal((opt as { udpPayloadSize: number }).udpPayloadSize, 1232);
  t.equal(dns2.Packet.parse(r).additionals.length, 1);
});

t.test('FORMERR without a parseable question has QDCOUNT=0', async (t) => {
  const q = query('example.com');
  const r = errorReply(q.subarray(0, 14), Rcode.FORMERR, null);
  t.equal(r.length, 12);
  const a = decode(r);
  t.equal(a.rcode, 'FORMERR');
  t.equal(a.id, 0x1234);
  t.equal(a.questions?.length, 0);
});

t.test('truncation keeps header, question and OPT, sets TC, drops records', async (t) => {
  const q = query('big.service.consul', 'A', { edns: 1232 });
  const full = answer(q, Array.from({ length: 120 }, (_, i) => `10.0.${i >> 8}.${i & 255}`));
  t.ok(full.length > 1232, 'the full answer is bigger than the client size');
  const qn = question(q);
  const cut = truncateReply(full, qn.end);
  const a = decode(cut);
  t.equal(a.flag_tc, true);
  t.equal(a.answers?.length, 0);
  t.equal(a.questions?.[0]?.name, 'big.service.consul');
  t.equal(a.additionals?.filter((x) => x.type === 'OPT').length, 1);
  t.equal(dns2.Packet.parse(cut).header.tc, 1);
  const noEdns = query('big.service.consul', 'A');
  const cut2 = truncateReply(answer(noEdns, ['10.0.0.1']), question(noEdns).end);
  t.equal(decode(cut2).additionals?.length ?? 0, 0);
});

t.test('client UDP limit: 512 without EDNS, else the advertised size within [512, max]', async (t) => {
  t.equal(clientUdpLimit(question(query('a.b')), 4096), 512);
  t.equal(clientUdpLimit(question(query('a.b', 'A', { edns: 1232 })), 4096), 1232);
  t.equal(clientUdpLimit(question(query('a.b', 'A', { edns: 65000 })), 4096), 4096);
  t.equal(clientUdpLimit(question(query('a.b', 'A', { edns: 100 })), 4096), 512);
});

t.test('summariseReply decodes for trace logs and reports what it cannot decode', async (t) => {
  const q = query('web.service.consul');
  const s = summariseReply(answer(q, ['10.1.0.1'], { ttl: 0 }));
  t.same(s, { rcode: 'NOERROR', answers: ['web.service.consul 0 A 10.1.0.1'] });
  t.match(summariseReply(Buffer.from([1, 2, 3])), { undecodable: String });
});

// Guards the cap at the largest UDP payload there is, when udp_max_size is above it.
t.test('client UDP limit never exceeds 65,507 bytes', async (t) => {
  t.equal(clientUdpLimit(question(query('a.b', 'A', { edns: 65535 })), 65535), 65507);
});

// Guards summariseReply's per-record checks: raw data as hex, and no TTL or data for an OPT record.
t.test('summariseReply: unknown types as hex, and a record without TTL or data', async (t) => {
  const q = query('odd.example');
  const d = dnsPacket.decode(q);
  const r = dnsPacket.encode({
    type: 'response',
    id: d.id,
    questions: d.questions,
    answers: [
      { type: 'UNKNOWN_65280', name: 'odd.example', ttl: 5, data: Buffer.from([0xca, 0xfe]) } as never,
      { type: 'OPT', name: '.', udpPayloadSize: 1232 } as never,
    ],
  });
  t.same(summariseReply(r), { rcode: 'NOERROR', answers: ['odd.example 5 UNKNOWN_65280 cafe', '.  OPT '] });
});

// Guards the `edns` argument (RFC 6891 §7): an error without a question (QDCOUNT 0 or 2, a question
// that does not parse) still carries our OPT record when the client sent one.
t.test('an error reply without a question carries our OPT record after the header', async (t) => {
  const q = Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, ...rr(ROOT, 41, 4096, 0x8000)]);
  const p = parseQuery(q);
  if (p.kind !== 'error') throw new Error('test query did not give an error');
  const r = errorReply(q, p.rcode, p.question, p.edns);
  t.equal(r.length, 12 + 11, 'header and OPT record');
  t.match(decode(r), { id: 0xabcd, rcode: 'FORMERR', questions: [], answers: [], authorities: [] });
  t.match(decode(r).additionals, [{ type: 'OPT', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK }], "ours, with the client's DO bit");
  t.equal(dns2.Packet.parse(r).additionals.length, 1, 'dns2 reads it too');
  t.equal(errorReply(q, p.rcode, null, null).length, 12, 'no OPT record when there is none to answer');
});

// Guards the header bytes: ID, opcode, RD and CD (RFC 4035 §3.2.2) copied, QR and RA set; AA, TC,
// Z and AD not copied.
t.test('an error reply copies ID, opcode, RD and CD, and sets QR and RA', async (t) => {
  const q = query('a.example', 'A', { id: 0xbeef });
  q[2] = (15 << 3) | 0x04 | 0x02 | 0x01; // opcode 15, AA, TC, RD
  q[3] = 0x40 | 0x20 | 0x10; // Z, AD, CD
  const r = errorReply(q, Rcode.NOTIMP, null);
  t.equal(r.readUInt16BE(0), 0xbeef, 'ID');
  t.equal(r[2], 0x80 | (15 << 3) | 0x01, 'QR, opcode 15, RD');
  t.equal(r[3], 0x80 | 0x10 | Rcode.NOTIMP, 'RA, CD, NOTIMP');
  q[2] = 0;
  q[3] = 0;
  const plain = errorReply(q, Rcode.REFUSED, null);
  t.equal(plain[2], 0x80, 'QR only: opcode 0, no RD');
  t.equal(plain[3], 0x80 | Rcode.REFUSED, 'RA only: no CD');
});

t.test('an error reply with an Extended DNS Error (RFC 8914) in our OPT record, or plain without EDNS', async (t) => {
  const withEdns = query('x.test', 'A', { id: 9, edns: 1232 });
  const out = errorReply(withEdns, Rcode.SERVFAIL, question(withEdns), undefined, { code: 7, text: 'x.test 1: signature expired' });
  const d = decode(out);
  t.equal(d.rcode, 'SERVFAIL');
  t.equal(d.id, 9);
  t.same(d.questions, [{ name: 'x.test', type: 'A', class: 'IN' }]);
  const opt = d.additionals![0] as { type: string; options: { code: number; data: Buffer }[] };
  t.equal(opt.options.length, 1, 'one option');
  t.equal(opt.type, 'OPT');
  t.equal(opt.options[0]!.code, 15, 'option 15, EDE (RFC 8914)');
  t.equal(opt.options[0]!.data.readUInt16BE(0), 7, 'INFO-CODE 7: Signature Expired');
  t.equal(opt.options[0]!.data.subarray(2).toString('utf8'), 'x.test 1: signature expired', 'EXTRA-TEXT');
  const plainQuery = query('x.test', 'A', { id: 9 });
  const plain = decode(errorReply(plainQuery, Rcode.SERVFAIL, question(plainQuery), undefined, { code: 6, text: 'why' }));
  t.equal(plain.rcode, 'SERVFAIL');
  t.same(plain.additionals, [], 'no OPT for a client without EDNS');
});

t.test('EXTRA-TEXT is cut at 200 octets, whatever the characters', async (t) => {
  const q = query('x.test', 'A', { edns: 1232 });
  const d = decode(errorReply(q, Rcode.SERVFAIL, question(q), undefined, { code: 6, text: 'é'.repeat(150) }));
  const opt = d.additionals![0] as { options: { code: number; data: Buffer }[] };
  t.equal(opt.options[0]!.data.length, 2 + 200);
});
