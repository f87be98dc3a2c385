// What the built daemon answers itself, never asking an upstream: REFUSED for CH and HS class
// queries and for zone transfers (AXFR, IXFR) over UDP and TCP, never cached; NOTIMP for an
// unknown opcode whatever QDCOUNT says; and our OPT record in error replies to a query that had
// one, also when it held no question or two (RFC 6891 §7).
import t, { type Test } from 'tap';
import dnsPacket from 'dns-packet';
import { startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { decode } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { QUESTION, ROOT, rr, wireName } from '../helpers/raw.js';
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

/**
 * A normal query answered through the upstream: what the daemon would have sent the upstream for
 * the queries before it, it would have sent before this answer came back.
 */
async function answeredAfter(t: Test, name: string): Promise<void> {
  const r = await dig(LISTEN, port, name);
  t.equal(r.status, 'NOERROR', `${name}, asked afterwards, is answered`);
  t.same(r.answers.map((a) => a.data), ['10.23.0.1'], 'by the upstream');
}

t.test('CH and HS queries are REFUSED over UDP and TCP, and never reach the upstream', async (t) => {
  const names = ['version.bind', 'version.server', 'hostname.bind', 'id.server', 'www.example.com'];
  for (const tcp of [false, true]) {
    for (const name of names) {
      const r = await dig(LISTEN, port, name, { type: 'TXT', tcp, extra: ['-c', 'CH'] });
      const how = `${name} CH TXT over ${tcp ? 'TCP' : 'UDP'}`;
      t.equal(r.status, 'REFUSED', how);
      t.same(r.flags, ['qr', 'rd', 'ra'], `${how}: flags`);
      t.match(r.raw, new RegExp(`;; QUESTION SECTION:\\n;${name.replace(/\./g, '\\.')}\\.\\s+CH\\s+TXT`), `${how}: the question`);
      t.match(r.raw, /; EDNS: version: 0, flags:; udp: 1232/, `${how}: our OPT record`);
    }
    const hs = await dig(LISTEN, port, 'hs.example.com', { type: 'TXT', tcp, extra: ['-c', 'HS'] });
    t.equal(hs.status, 'REFUSED', `HS over ${tcp ? 'TCP' : 'UDP'}`);
  }
  await answeredAfter(t, 'after-chaos.example.com');
  for (const name of [...names, 'hs.example.com']) t.equal(up.count(name), 0, `the upstream never saw ${name}`);
  t.match(
    daemon.logs.filter((l) => l.msg === 'refused query' && l.qname === 'version.bind'),
    [{ level: 20, transport: 'udp', rcode: 5, why: 'class CH' }, { level: 20, transport: 'tcp', rcode: 5, why: 'class CH' }],
    'each refusal logged at debug',
  );
});

t.test('AXFR and IXFR are REFUSED over TCP and UDP, and never reach the upstream', async (t) => {
  // dig prints the header of a transfer's reply with +all; it sends AXFR over TCP only.
  const axfr = await dig(LISTEN, port, 'zone.example', { type: 'AXFR', extra: ['+all'] });
  t.equal(axfr.status, 'REFUSED', 'dig AXFR (TCP)');
  t.match(axfr.raw, /; Transfer failed\./);
  const axfrUdp = decode(
    await udpExchange(LISTEN, port, dnsPacket.encode({ type: 'query', id: 0x2301, questions: [{ name: 'zone.example', type: 'AXFR' }] })),
  );
  t.match(axfrUdp, { id: 0x2301, rcode: 'REFUSED', flag_ra: true, questions: [{ name: 'zone.example', type: 'AXFR' }] }, 'AXFR over UDP');
  for (const tcp of [true, false]) {
    const ixfr = await dig(LISTEN, port, 'zone.example', { type: 'IXFR=1', extra: ['+all', tcp ? '+tcp' : '+notcp'] });
    t.equal(ixfr.status, 'REFUSED', `dig IXFR=1 over ${tcp ? 'TCP' : 'UDP'}`);
    t.match(ixfr.raw, tcp ? /; Transfer failed\./ : /SERVER: .*\(UDP\)/, 'over the transport meant (the log below says so too)');
  }
  await answeredAfter(t, 'after-axfr.example');
  t.equal(up.count('zone.example'), 0, 'the upstream never saw a transfer');
  t.match(
    daemon.logs.filter((l) => l.msg === 'refused query' && l.qname === 'zone.example').map((l) => [l.transport, l.why]),
    [['tcp', /^AXFR/], ['udp', /^AXFR/], ['tcp', /^IXFR/], ['udp', /^IXFR/]],
    'each refusal logged',
  );
});

// RFC 1995 §3: an IXFR's answer depends on the serial in its authority section, which the cache
// key does not hold. Refused before the cache, no IXFR is stored, so none is answered from it.
t.test('an IXFR is never answered from the cache: another serial is REFUSED as well', async (t) => {
  for (const transport of ['+notcp', '+tcp']) {
    for (const serial of [0, 1, 0]) {
      const r = await dig(LISTEN, port, 'serial.example', { type: `IXFR=${serial}`, extra: ['+all', transport] });
      t.equal(r.status, 'REFUSED', `IXFR=${serial} (${transport})`);
    }
  }
  await answeredAfter(t, 'after-ixfr.example');
  t.equal(up.count('serial.example'), 0, 'the upstream never saw one');
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
  const axfrName = wireName('zone.example');
  const badvers = await udpExchange(LISTEN, port, raw(0x230a, [0x01, 0x00], [1, 0, 0, 1], axfrName, [0, 252, 0, 1], rr(ROOT, 41, 1232, 0x010000)));
  t.match(decode(badvers), { id: 0x230a, questions: [{ name: 'zone.example', type: 'AXFR' }] }, 'EDNS version 1 in an AXFR');
  t.match(ourOpt(badvers), { extendedRcode: 1 }, 'BADVERS (RFC 6891 §6.1.3) before the refusal');
  t.ok(daemon.alive);
});
