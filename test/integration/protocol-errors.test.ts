// What the built daemon answers itself, never asking an upstream: NOTIMP for an unknown opcode
// whatever QDCOUNT says, and our OPT record in error replies to a query that had one, also when
// it held no question or two (RFC 6891 §7).
import t from 'tap';
import dnsPacket from 'dns-packet';
import { startDnsfwd } from '../helpers/daemon.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { decode } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { QUESTION, ROOT, rr } from '../helpers/raw.js';
import { udpExchange } from '../helpers/udp-client.js';

const LISTEN = '127.0.23.1';
const UP = '127.0.23.2';
const upPort = await freePort(UP);
const up = await startFake({ address: UP, port: upPort, answer: (name) => ({ answers: [aRecord(name, '10.23.0.1')] }) });
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--listen', `${LISTEN}:${port}`,
  '--upstream', `${UP}:${upPort}`,
  '--lease-file', '/nonexistent/dhclient.leases',
  '--log-level', 'debug',
]);
t.teardown(async () => {
  await daemon.stop();
  await up.close();
});

/** A message: ID, the two flag bytes, the section counts, then `parts` as they are. */
function raw(id: number, flags: [number, number], counts: [number, number, number, number], ...parts: number[][]): Buffer {
  const [qd, an, ns, ar] = counts;
  return Buffer.from([id >> 8, id & 0xff, ...flags, 0, qd, 0, an, 0, ns, 0, ar, ...parts.flat()]);
}
/** An OPT record with UDP size 4096 and the DO bit. */
const OPT_DO = rr(ROOT, 41, 4096, 0x8000);
/** The second question `b.a.example` A IN, its name a label and a pointer to the first question's. */
const COMPRESSED = [1, 0x62, 0xc0, 12, 0, 1, 0, 1];
/** RD=1 with opcode `n` in the first flag byte. */
const opcodeRd = (n: number) => (n << 3) | 0x01;

/** Our OPT record in `reply`, or undefined: decoded by dns-packet. */
const ourOpt = (reply: Buffer) => decode(reply).additionals?.find((r) => r.type === 'OPT') as
  | { udpPayloadSize: number; flags: number; extendedRcode: number }
  | undefined;

t.test('an unknown opcode gets NOTIMP, whatever QDCOUNT says, with our OPT record if the query had one', async (t) => {
  const bare = await udpExchange(LISTEN, port, raw(0x2302, [opcodeRd(15), 0], [0, 0, 0, 0]));
  t.match(decode(bare), { id: 0x2302, rcode: 'NOTIMP', flag_qr: true, flag_rd: true, flag_ra: true, questions: [], additionals: [] }, 'opcode 15, QDCOUNT=0');
  t.equal((bare[2]! >> 3) & 0x0f, 15, 'the opcode copied');
  const withOpt = await udpExchange(LISTEN, port, raw(0x2303, [opcodeRd(15), 0], [0, 0, 0, 1], OPT_DO));
  t.match(decode(withOpt), { id: 0x2303, rcode: 'NOTIMP', questions: [] }, 'opcode 15, QDCOUNT=0, an OPT record');
  t.match(ourOpt(withOpt), { udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK }, "our OPT record, with the client's DO bit");
  const two = await udpExchange(LISTEN, port, raw(0x2304, [opcodeRd(15), 0], [2, 0, 0, 1], QUESTION, COMPRESSED, OPT_DO));
  t.match(decode(two), { id: 0x2304, rcode: 'NOTIMP', questions: [] }, 'opcode 15, QDCOUNT=2');
  t.match(ourOpt(two), { udpPayloadSize: 1232 });
  const one = await udpExchange(LISTEN, port, raw(0x2305, [opcodeRd(4), 0], [1, 0, 0, 1], QUESTION, OPT_DO));
  t.match(decode(one), { id: 0x2305, rcode: 'NOTIMP', questions: [{ name: 'a.example', type: 'A' }] }, 'NOTIFY with one question: it comes back');
  t.match(ourOpt(one), { udpPayloadSize: 1232 });
});

t.test('FORMERR for QDCOUNT=0 or 2 carries our OPT record, with ID, RD and CD copied', async (t) => {
  const none = await udpExchange(LISTEN, port, raw(0x2306, [0x01, 0x10], [0, 0, 0, 1], OPT_DO));
  t.match(decode(none), { id: 0x2306, rcode: 'FORMERR', flag_qr: true, flag_rd: true, flag_cd: true, flag_ra: true, questions: [] }, 'QDCOUNT=0');
  t.match(ourOpt(none), { udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK }, 'our OPT record');
  const two = await udpExchange(LISTEN, port, raw(0x2307, [0x01, 0x10], [2, 0, 0, 1], QUESTION, COMPRESSED, OPT_DO));
  t.match(decode(two), { id: 0x2307, rcode: 'FORMERR', flag_rd: true, flag_cd: true, questions: [] }, 'QDCOUNT=2: no question back');
  t.equal(two.readUInt16BE(4), 0, 'QDCOUNT 0 in the reply');
  t.match(ourOpt(two), { udpPayloadSize: 1232 }, 'our OPT record');
  const plain = await udpExchange(LISTEN, port, raw(0x2308, [0x00, 0x00], [2, 0, 0, 0], QUESTION, COMPRESSED));
  t.match(decode(plain), { id: 0x2308, rcode: 'FORMERR', flag_rd: false, flag_cd: false, additionals: [] }, 'without an OPT record: none back');
  // A question name with label type 0x40: where the OPT record would start cannot be told.
  const bad = await udpExchange(LISTEN, port, raw(0x2309, [0x01, 0x00], [1, 0, 0, 1], [0x41, 0x61, 0, 0, 1, 0, 1], OPT_DO));
  t.match(decode(bad), { id: 0x2309, rcode: 'FORMERR', questions: [], additionals: [] }, 'a malformed question: no OPT record');
  t.ok(daemon.alive);
});
