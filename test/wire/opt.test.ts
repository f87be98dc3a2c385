// Our OPT record in replies (RFC 6891 §7: OPT is hop-by-hop), and BADVERS for EDNS versions we do
// not speak (§6.1.3). Checked with dns-packet and dns2.
import dnsPacket from 'dns-packet';
import dns2 from 'dns2';
import t from 'tap';
import { Rcode } from '../../src/wire/header.js';
import { withClientOpt } from '../../src/wire/opt.js';
import { parseQuery, type Question } from '../../src/wire/question.js';
import { errorReply } from '../../src/wire/replies.js';
import { decode, query } from '../helpers/packets.js';

function question(q: Buffer): Question {
  const p = parseQuery(q);
  if (p.kind !== 'query') throw new Error('test query did not parse');
  return p.question;
}

/** An upstream's reply with an OPT record of its own: size 4096, a COOKIE option, ext. RCODE bits. */
function upstreamReply(q: Buffer, withOpt: boolean): Buffer {
  const d = dnsPacket.decode(q);
  return dnsPacket.encode({
    type: 'response',
    id: d.id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: d.questions,
    answers: [{ type: 'A', name: d.questions![0]!.name, ttl: 60, data: '10.0.0.1' }],
    additionals: [
      { type: 'A', name: 'ns.example', ttl: 60, data: '10.0.0.53' },
      ...(withOpt ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096, options: [{ code: 10, data: Buffer.alloc(24, 7) }] } as never] : []),
    ],
  });
}

const opts = (b: Buffer) => (decode(b).additionals ?? []).filter((r) => r.type === 'OPT') as { udpPayloadSize: number; options: unknown[]; flags: number }[];

t.test("the upstream's OPT never reaches the client; an EDNS client gets ours", async (t) => {
  const plain = query('a.example');
  const edns = query('a.example', 'A', { edns: 4096, do: true });
  const forPlain = withClientOpt(upstreamReply(plain, true), question(plain).end, null);
  t.same(opts(forPlain), [], 'no EDNS from the client: no OPT in its reply');
  t.equal(decode(forPlain).additionals?.length, 1, 'the other additional record stays');
  const forEdns = withClientOpt(upstreamReply(edns, true), question(edns).end, question(edns).edns);
  t.match(opts(forEdns), [{ udpPayloadSize: 1232, options: [] }], 'ours: size 1232, no upstream options');
  t.equal(opts(forEdns)[0]!.flags & dnsPacket.DNSSEC_OK, dnsPacket.DNSSEC_OK, "the client's DO bit");
  const added = withClientOpt(upstreamReply(edns, false), question(edns).end, question(edns).edns);
  t.match(opts(added), [{ udpPayloadSize: 1232 }], 'added when the upstream sent none');
  t.equal(dns2.Packet.parse(added).additionals.length, 2, 'dns2 reads both additional records');
  const untouched = upstreamReply(plain, false);
  t.equal(withClientOpt(untouched, question(plain).end, null), untouched, 'nothing to change: the same buffer');
});

t.test('EDNS version 1 gets BADVERS: RCODE 0 in the header, 1 in the OPT (16 in all)', async (t) => {
  const q = query('a.example', 'A', { edns: 1232 });
  q[q.length - 11 + 6] = 1; // the OPT TTL's version byte
  const p = parseQuery(q);
  t.ok(p.kind === 'error' && p.rcode === Rcode.BADVERS, 'classified BADVERS');
  if (p.kind !== 'error') return;
  const r = errorReply(q, p.rcode, p.question);
  t.equal(r[3]! & 0x0f, 0, 'header RCODE bits');
  const opt = r.subarray(r.length - 11);
  t.equal(opt[5], 1, 'extended RCODE bits in the OPT record');
  t.equal(opt[6], 0, 'we answer with version 0');
  t.equal(dns2.Packet.parse(r).additionals.length, 1);
});

// Guards `arcount > 0`: an upstream OPT that is the only additional record is found and replaced.
t.test("an upstream OPT that is the only additional record is replaced by ours, or removed", async (t) => {
  const edns = query('a.example', 'A', { edns: 4096 });
  const plain = query('a.example');
  const reply = (q: Buffer) =>
    dnsPacket.encode({
      type: 'response',
      id: 1,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: dnsPacket.decode(q).questions,
      answers: [{ type: 'A', name: 'a.example', ttl: 60, data: '10.0.0.1' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as never],
    });
  t.match(opts(withClientOpt(reply(edns), question(edns).end, question(edns).edns)), [{ udpPayloadSize: 1232 }], 'one OPT: ours');
  const forPlain = withClientOpt(reply(plain), question(plain).end, null);
  t.same(opts(forPlain), [], 'no OPT for a client without EDNS');
  t.equal(forPlain.readUInt16BE(10), 0, 'ARCOUNT 0');
});

// Guards the copy of the upstream's extended RCODE bits (RFC 6891 §6.1.3) into our OPT record.
t.test("the upstream's extended RCODE bits reach the client in our OPT record", async (t) => {
  const q = query('a.example', 'A', { edns: 4096 });
  const r = upstreamReply(q, true);
  const upstreamOpt = r.length - (11 + 4 + 24); // OPT: root, type, class, TTL, RDLENGTH, one 24-byte option
  t.equal(r.readUInt16BE(upstreamOpt + 1), 41, 'found the upstream OPT record');
  r[upstreamOpt + 5] = 1; // upper 8 bits of a 12-bit RCODE: BADCOOKIE (23) with 7 in the header
  r[3] = (r[3]! & 0xf0) | 7;
  const out = withClientOpt(r, question(q).end, question(q).edns);
  t.equal(out[out.length - 11 + 5], 1, 'the extended RCODE bits in our OPT record');
  t.equal(out[3]! & 0x0f, 7, 'the header RCODE bits unchanged');
});
