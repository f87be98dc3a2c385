// Replies dnsfwd gives as a zone's authority: the client's ID, opcode, RD and CD with QR, AA and RA;
// the question as the client wrote it; the records given; our OPT only for an EDNS client.
// Checked with dns-packet.
import dnsPacket from 'dns-packet';
import t from 'tap';
import { Rcode } from '../../src/wire/header.js';
import { localReply, QUESTION_NAME, resourceRecord, soaRecord } from '../../src/wire/local-reply.js';
import { TYPE_A } from '../../src/wire/records.js';
import { parseQuery, type Question } from '../../src/wire/question.js';
import { decode, query } from '../helpers/packets.js';

function question(q: Buffer): Question {
  const p = parseQuery(q);
  if (p.kind !== 'query') throw new Error('test query did not parse');
  return p.question;
}

const A = resourceRecord(QUESTION_NAME, TYPE_A, 300, Uint8Array.of(127, 0, 0, 1));
const SOA = soaRecord({
  zone: 'lab.test', mname: 'localhost', rname: 'nobody.invalid', serial: 7, refresh: 3600, retry: 1200, expire: 604800, minimum: 900, ttl: 600,
});

t.test('an answer: owner as the client wrote it, header bits, counts, no OPT without EDNS', async (t) => {
  const q = query('Web.Lab.Test', 'A', { id: 0xbeef });
  const reply = localReply(q, question(q), Rcode.NOERROR, [A], []);
  const d = decode(reply);
  t.equal(d.id, 0xbeef);
  t.equal(d.type, 'response');
  t.match(d, { flag_aa: true, flag_ra: true, flag_rd: true, flag_cd: false, flag_ad: false, flag_tc: false, rcode: 'NOERROR', opcode: 'QUERY' });
  t.same(d.questions, [{ name: 'Web.Lab.Test', type: 'A', class: 'IN' }]);
  t.match(d.answers, [{ name: 'Web.Lab.Test', type: 'A', class: 'IN', ttl: 300, data: '127.0.0.1' }]);
  t.same(d.authorities, []);
  t.same(d.additionals, [], 'the client sent no OPT: none back');
  t.equal(reply.length, q.length + A.length, 'nothing more');
});

// Guards `if (question.edns)`: an EDNS client gets our OPT, with its DO bit, after the records.
t.test('an EDNS client gets our OPT record after the authority section', async (t) => {
  const q = query('x.lab.test', 'A', { edns: 4096, do: true });
  const d = decode(localReply(q, question(q), Rcode.NXDOMAIN, [], [SOA]));
  t.equal(d.rcode, 'NXDOMAIN');
  t.same(d.answers, []);
  t.match(d.authorities, [
    { name: 'lab.test', type: 'SOA', ttl: 600, data: { mname: 'localhost', rname: 'nobody.invalid', serial: 7, refresh: 3600, retry: 1200, expire: 604800, minimum: 900 } },
  ]);
  t.match(d.additionals, [{ type: 'OPT', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK }]);
});

t.test("the client's RD and CD bits and opcode are copied; its other bits are not", async (t) => {
  const q = query('x.lab.test');
  q[2] = 0x00; // RD clear
  q[3] = 0x70; // Z, AD, CD set
  const noRd = decode(localReply(q, question(q), Rcode.NOERROR, [A], []));
  t.match(noRd, { flag_rd: false, flag_cd: true, flag_ad: false, flag_z: false, flag_aa: true, flag_ra: true });
  const parsed = question(q);
  q[2] = 0x17; // opcode 2, AA, TC, RD as a client should never send them
  q[3] = 0x0f; // and an RCODE
  const r = localReply(q, parsed, Rcode.NOERROR, [A], []);
  t.equal(r[2], 0x95, 'QR, the opcode, AA, RD: not TC');
  t.equal(r[3], 0x80, 'RA, RCODE 0: not CD, not the client\'s RCODE');
});

t.test('answer and authority records together are counted apart', async (t) => {
  const q = query('x.lab.test');
  const d = decode(localReply(q, question(q), Rcode.NOERROR, [A, A], [SOA]));
  t.equal(d.answers?.length, 2);
  t.equal(d.authorities?.length, 1);
});
