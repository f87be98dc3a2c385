import dnsPacket from 'dns-packet';
import t from 'tap';
import { decodeMessage } from '../../src/dnssec/message.js';
import { shapeReply } from '../../src/dnssec/reply.js';
import { capKey } from '../../src/dnssec/validate.js';
import { parseQuery, type Question } from '../../src/wire/question.js';
import { presentationToWire } from '../../src/wire/name.js';
import { decode, query } from '../helpers/packets.js';

/** An upstream reply with an A set and its RRSIG, an NSEC and its RRSIG in authority, names in mixed case. */
function upstream(): Buffer {
  const sig = (typeCovered: string) => ({
    type: 'RRSIG' as const,
    name: 'WWW.Example.com',
    ttl: 3600,
    data: { typeCovered, algorithm: 13, labels: 3, originalTTL: 300, expiration: 2000000000, inception: 1000000000, keyTag: 1, signersName: 'example.com', signature: Buffer.alloc(64, 1) },
  });
  return dnsPacket.encode({
    type: 'response',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name: 'www.example.com' }],
    answers: [
      { type: 'A', name: 'WWW.Example.com', ttl: 3600, data: '192.0.2.1' },
      { type: 'A', name: 'www.example.com', ttl: 3600, data: '192.0.2.2' },
      sig('A'),
    ],
    authorities: [{ type: 'NSEC', name: 'example.com', ttl: 600, data: { nextDomain: 'zzz.example.com', rrtypes: ['A', 'NS'] } }, { ...sig('NSEC'), name: 'example.com' }],
  });
}

function question(bytes: Buffer): Question {
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('not a query');
  return p.question;
}

t.test('a secure reply: AD set, TTLs capped by key (an RRSIG with the set it covers), owner names compressed again', async (t) => {
  const reply = upstream();
  const msg = decodeMessage(reply)!;
  const qEnd = 12 + presentationToWire('www.example.com').length + 4;
  const caps = new Map([[capKey(presentationToWire('www.example.com'), 1), 120]]);
  const out = shapeReply(reply, qEnd, 1, msg, { ad: true, keepDnssec: true, caps, edns: null });
  const d = dnsPacket.decode(out);
  t.ok((d.flags! & dnsPacket.AUTHENTIC_DATA) !== 0, 'AD');
  // Names compare without case (RFC 4343): an owner points at the question's name whatever its case.
  t.same(d.answers!.map((a) => [a.type, a.name, (a as { ttl: number }).ttl]), [
    ['A', 'www.example.com', 120],
    ['A', 'www.example.com', 120],
    ['RRSIG', 'www.example.com', 120],
  ]);
  t.same(d.authorities!.map((a) => (a as { ttl: number }).ttl), [600, 3600], 'sets without a cap keep their TTLs');
  t.same([out[qEnd], out[qEnd + 1]], [0xc0, 12], "the first answer's owner is a pointer to the question's name");
  t.ok(out.length <= reply.length, `no longer than the upstream's (${out.length} bytes against ${reply.length})`);
  const again = decodeMessage(out)!;
  t.same(again.answer.map((r) => Buffer.from(r.rdata).toString('hex')), msg.answer.map((r) => Buffer.from(r.rdata).toString('hex')), 'RDATA unchanged');
});

t.test('for a client without DO: no RRSIG or NSEC, unless it asked for that type; AD as decided', async (t) => {
  const reply = upstream();
  const msg = decodeMessage(reply)!;
  const qEnd = 12 + presentationToWire('www.example.com').length + 4;
  const plain = dnsPacket.decode(shapeReply(reply, qEnd, 1, msg, { ad: false, keepDnssec: false, caps: null, edns: null }));
  t.same(plain.answers!.map((a) => a.type), ['A', 'A']);
  t.same(plain.authorities, []);
  t.equal(plain.flags! & dnsPacket.AUTHENTIC_DATA, 0, 'no AD');
  const rrsig = dnsPacket.decode(shapeReply(reply, qEnd, 46, msg, { ad: false, keepDnssec: false, caps: null, edns: null }));
  t.same(rrsig.answers!.map((a) => a.type), ['A', 'A', 'RRSIG'], 'RRSIG asked for: kept');
});

t.test('our OPT record goes last, with the client\'s DO bit, when the client sent EDNS', async (t) => {
  const reply = upstream();
  const msg = decodeMessage(reply)!;
  const q = query('www.example.com', 'A', { id: 7, edns: 1232, do: true });
  const qs = question(q);
  const out = dnsPacket.decode(shapeReply(reply, qs.end, 1, msg, { ad: true, keepDnssec: true, caps: null, edns: qs.edns }));
  const opt = out.additionals!.at(-1) as { type: string; flags: number };
  t.equal(opt.type, 'OPT');
  t.equal(opt.flags & dnsPacket.DNSSEC_OK, dnsPacket.DNSSEC_OK);
});
