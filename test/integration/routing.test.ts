// The built daemon routes by zone: .consul to a dns2 "Consul", the libvirt domain and its reverse
// zone to a real dnsmasq, everything else to the dnsmasq servers named in a dhclient lease file.
import { writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import t from 'tap';
import dns2 from 'dns2';
import { startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { startDnsmasq } from '../helpers/dnsmasq.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { leaseBlock } from '../helpers/lease.js';
import { freePort } from '../helpers/ports.js';
import { query } from '../helpers/packets.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot();
const LISTEN = '127.0.1.1';
const LIBVIRT = '127.0.1.2';
const NS1 = '127.0.1.3';
const NS2 = '127.0.1.4';
const BIG = Array.from({ length: 120 }, (_, i) => `10.2.${i >> 8}.${i & 255}`);

const consulPort = await freePort('127.0.0.1');
const consul = await startFake({
  address: '127.0.0.1',
  port: consulPort,
  answer: (name) => {
    if (name === 'web.service.consul') return { answers: [aRecord('web.service.consul', '10.1.0.1', 0)] };
    if (name === 'big.service.consul') return { answers: BIG.map((a) => aRecord('big.service.consul', a, 0)) };
    return { answers: [], rcode: 3 };
  },
});
const libvirtPort = await freePort(LIBVIRT);
const libvirt = await startDnsmasq({
  address: LIBVIRT,
  port: libvirtPort,
  records: ['--address=/node1.vagrant.test/192.168.121.10', '--ptr-record=10.121.168.192.in-addr.arpa,node1.vagrant.test'],
});
const ns1 = await startDnsmasq({ address: NS1, records: ['--address=/example.com/203.0.113.1'] });
const ns2 = await startDnsmasq({ address: NS2, records: ['--address=/example.com/203.0.113.2'] });
const dir = t.testdir({});
const leases = `${dir}/dhclient.leases`;
writeFileSync(leases, leaseBlock([NS1, NS2]));
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--listen', `${LISTEN}:${port}`,
  '--route', `consul=127.0.0.1:${consulPort}`,
  '--route', `vagrant.test=${LIBVIRT}:${libvirtPort}`,
  '--route', `121.168.192.in-addr.arpa=${LIBVIRT}:${libvirtPort}`,
  '--lease-file', leases,
]);
t.teardown(async () => {
  await daemon.stop();
  await Promise.all([consul.close(), libvirt.stop(), ns1.stop(), ns2.stop()]);
});

t.test('the start-up line names listeners, routes and sources', async (t) => {
  const line = await daemon.waitForMsg('dnsfwd started');
  t.same(line.listen, [`${LISTEN}:${port}`]);
  t.match(line.routes, { consul: [`127.0.0.1:${consulPort}`], 'vagrant.test': [`${LIBVIRT}:${libvirtPort}`] });
  t.match(JSON.stringify(line.sources), leases);
});

t.test('.consul goes to Consul, with RA and the client ID', async (t) => {
  const r = await dig(LISTEN, port, 'web.service.consul');
  t.equal(r.status, 'NOERROR');
  t.same(r.answers.map((a) => a.data), ['10.1.0.1']);
  t.ok(r.flags.includes('ra'), 'RA set');
  t.ok(r.flags.includes('qr'));
  t.equal(consul.count('web.service.consul'), 1);
  const nx = await dig(LISTEN, port, 'nothing.service.consul');
  t.equal(nx.status, 'NXDOMAIN');
});

t.test('the question comes back in the client\'s own case', async (t) => {
  const r = await dig(LISTEN, port, 'WeB.SeRvIcE.CoNsUl');
  t.equal(r.status, 'NOERROR');
  t.match(r.raw, /;; QUESTION SECTION:\n;WeB\.SeRvIcE\.CoNsUl\.\s+IN\s+A/);
});

t.test('a big RRset: TC from Consul over UDP, retried over TCP; TC to dig, which retries over TCP', async (t) => {
  const before = consul.count('big.service.consul', 'tcp');
  const r = await dig(LISTEN, port, 'big.service.consul');
  t.equal(r.status, 'NOERROR');
  t.equal(r.answers.length, 120, 'all 120 records arrive');
  t.ok(r.retriedTcp, 'dig got TC=1 over UDP and retried over TCP');
  t.ok(consul.count('big.service.consul', 'udp') >= 1, 'asked over UDP first');
  t.ok(consul.count('big.service.consul', 'tcp') > before, 'then over TCP after TC');
  const direct = await dig(LISTEN, port, 'big.service.consul', { tcp: true });
  t.equal(direct.answers.length, 120, 'over TCP from the start');
});

t.test('a UDP answer over 512 bytes to a client without EDNS is truncated', async (t) => {
  const r = await dig(LISTEN, port, 'big.service.consul', { edns: false, extra: ['+ignore'] });
  t.ok(r.flags.includes('tc'), 'TC set');
  t.equal(r.answers.length, 0);
});

t.test('the libvirt domain and its reverse zone go to libvirt\'s dnsmasq', async (t) => {
  const r = await dig(LISTEN, port, 'node1.vagrant.test');
  t.same(r.answers.map((a) => a.data), ['192.168.121.10']);
  t.ok(libvirt.queries('node1.vagrant.test') >= 1, 'libvirt dnsmasq saw it');
  const ptr = await dig(LISTEN, port, '10.121.168.192.in-addr.arpa', { type: 'PTR' });
  t.same(ptr.answers.map((a) => a.data), ['node1.vagrant.test.']);
  t.equal(ns1.queries('node1.vagrant.test'), 0, 'the DHCP servers never saw libvirt names');
});

t.test('everything else goes to the lease file\'s first nameserver', async (t) => {
  const r = await dig(LISTEN, port, 'www.example.com');
  t.same(r.answers.map((a) => a.data), ['203.0.113.1']);
  t.equal(ns1.queries('www.example.com'), 1);
  t.equal(ns2.queries('www.example.com'), 0);
  t.equal(ns1.queries('web.service.consul'), 0, 'no .consul query leaked to DHCP servers');
});

t.test('dns2 decodes our replies too', async (t) => {
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  const reply = await new Promise<Buffer>((resolve) => {
    sock.once('message', resolve);
    sock.send(query('web.service.consul', 'A', { id: 4242, edns: 1232 }), port, LISTEN);
  });
  const p = dns2.Packet.parse(reply);
  t.equal(p.header.id, 4242);
  t.equal(p.header.ra, 1);
  t.equal(p.questions[0]?.name, 'web.service.consul');
  t.equal((p.answers[0] as { address?: string }).address, '10.1.0.1');
});
