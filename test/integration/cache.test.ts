// The cache seen from dig: hits with aged TTLs, TTL 0 (Consul) never cached, NXDOMAIN cached for
// the SOA's TTL, stale answers when the upstream dies, lease changes flush, SIGUSR1 statistics.
import { writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import t from 'tap';
import dns2 from 'dns2';
import { startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { startDnsmasq } from '../helpers/dnsmasq.js';
import { aRecord, startFake, type Dns2Resource } from '../helpers/fake-upstream.js';
import { leaseBlock } from '../helpers/lease.js';
import { query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';

const LISTEN = '127.0.10.1';
const UP = '127.0.10.2';
const CONSUL = '127.0.10.3';
const DYING = '127.0.10.4';
const NS1 = '127.0.10.5';
const NS2 = '127.0.10.6';

const soa = {
  name: 'example.com',
  type: dns2.Packet.TYPE.SOA,
  class: dns2.Packet.CLASS.IN,
  ttl: 3600,
  primary: 'ns.example.com',
  admin: 'admin.example.com',
  serial: 1,
  refresh: 3600,
  retry: 600,
  expiration: 86400,
  minimum: 60,
} as unknown as Dns2Resource;

const upPort = await freePort(UP);
const up = await startFake({
  address: UP,
  port: upPort,
  answer: (name) => (name.startsWith('nx') ? { answers: [], authorities: [soa], rcode: 3 } : { answers: [aRecord(name, '10.10.0.1', 300)] }),
});
t.teardown(() => up.close());
const consulPort = await freePort(CONSUL);
const consul = await startFake({ address: CONSUL, port: consulPort, answer: (name) => ({ answers: [aRecord(name, '10.10.0.2', 0)] }) });
t.teardown(() => consul.close());
const dyingPort = await freePort(DYING);
let dying = await startFake({ address: DYING, port: dyingPort, answer: (name) => ({ answers: [aRecord(name, '10.10.0.3', 1)] }) });
t.teardown(() => dying.close());
const ns = await Promise.all(
  [NS1, NS2].map((address, i) => startDnsmasq({ address, records: [`--address=/example.org/203.0.113.${i + 1}`, '--local-ttl=600'] })),
);
t.teardown(() => Promise.all(ns.map((n) => n.stop())));
const dir = t.testdir({});
const leases = `${dir}/dhclient.leases`;
writeFileSync(leases, leaseBlock([NS1]));

const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--listen', `${LISTEN}:${port}`,
  '--route', `example.com=${UP}:${upPort}`,
  '--route', `consul=${CONSUL}:${consulPort}`,
  '--route', `dying.test=${DYING}:${dyingPort}`,
  '--lease-file', leases,
]);
t.teardown(() => daemon.stop());

t.test('a second query comes from the cache with a lower TTL; the upstream saw one query', async (t) => {
  const before = Date.now();
  const first = await dig(LISTEN, port, 'www.example.com');
  t.equal(first.answers[0]?.ttl, 300);
  await new Promise((r) => setTimeout(r, 1100)); // let a second pass, so the TTL ages
  const second = await dig(LISTEN, port, 'WWW.example.COM');
  const atMost = Math.ceil((Date.now() - before) / 1000); // however long the machine took
  t.same(second.answers.map((a) => a.data), ['10.10.0.1']);
  const ttl = second.answers[0]!.ttl;
  t.ok(ttl < 300 && ttl >= 300 - atMost, `aged TTL ${ttl}: one second at least, and no more than the ${atMost} s that passed`);
  t.notOk(second.flags.includes('aa'), 'no AA from the cache');
  t.equal(up.count('www.example.com'), 1, 'one upstream query');
  t.match(second.raw, /;WWW\.example\.COM\.\s+IN\s+A/, 'the client\'s case in the question');
});

t.test('.consul answers with TTL 0 are never cached', async (t) => {
  for (let i = 0; i < 3; i++) t.equal((await dig(LISTEN, port, 'web.service.consul')).answers[0]?.data, '10.10.0.2');
  t.equal(consul.count('web.service.consul'), 3);
});

t.test('NXDOMAIN is cached for the SOA-derived TTL', async (t) => {
  const first = await dig(LISTEN, port, 'nx1.example.com');
  t.equal(first.status, 'NXDOMAIN');
  t.match(first.raw, /example\.com\.\s+60\s+IN\s+SOA/, 'the SOA TTL is min(TTL 3600, MINIMUM 60)');
  const second = await dig(LISTEN, port, 'nx1.example.com');
  t.equal(second.status, 'NXDOMAIN');
  t.equal(up.count('nx1.example.com'), 1);
});

t.test('cached replies decode with dns2 as well, with and without EDNS', async (t) => {
  const sock = dgram.createSocket('udp4');
  t.teardown(() => sock.close());
  for (const edns of [undefined, 1232]) {
    const reply = await new Promise<Buffer>((resolve) => {
      sock.once('message', resolve);
      sock.send(query('www.example.com', 'A', { id: 999, edns }), port, LISTEN);
    });
    const p = dns2.Packet.parse(reply);
    t.equal(p.header.id, 999);
    t.equal((p.answers[0] as { address?: string }).address, '10.10.0.1');
    t.equal(p.additionals.length, edns ? 1 : 0, edns ? 'OPT for the EDNS client' : 'no OPT without EDNS');
  }
  t.equal(up.count('www.example.com'), 1, 'still one upstream query');
});

t.test('a stale answer is served when the upstream dies', async (t) => {
  t.equal((await dig(LISTEN, port, 'svc.dying.test')).answers[0]?.ttl, 1);
  await dying.close();
  await new Promise((r) => setTimeout(r, 1500));
  const r = await dig(LISTEN, port, 'svc.dying.test');
  t.equal(r.status, 'NOERROR');
  t.same(r.answers.map((a) => a.data), ['10.10.0.3']);
  t.equal(r.answers[0]?.ttl, 30, 'served stale with TTL 30');
  dying = await startFake({ address: DYING, port: dyingPort, answer: (name) => ({ answers: [aRecord(name, '10.10.0.4', 1)] }) });
});

t.test('a new lease drops what the old servers answered', async (t) => {
  t.equal((await dig(LISTEN, port, 'www.example.org')).answers[0]?.data, '203.0.113.1');
  t.equal((await dig(LISTEN, port, 'www.example.org')).answers[0]?.data, '203.0.113.1', 'cached (TTL 600)');
  const since = daemon.logs.length;
  writeFileSync(leases, leaseBlock([NS2]));
  const flushed = await daemon.waitForMsg('route servers changed: cached answers dropped', 10_000, since);
  t.equal(flushed.zone, '.');
  t.equal((await dig(LISTEN, port, 'www.example.org')).answers[0]?.data, '203.0.113.2', 'the new server answers at once');
});

t.test('SIGUSR1 logs cache statistics', async (t) => {
  const since = daemon.logs.length;
  daemon.child.kill('SIGUSR1');
  const stats = await daemon.waitForMsg('cache statistics', 10_000, since);
  t.ok((stats.entries as number) >= 2, `entries ${stats.entries}`);
  t.ok((stats.hits as number) >= 3, `hits ${stats.hits}`);
  t.ok((stats.misses as number) >= 3);
  t.ok((stats.stale as number) >= 1, 'the stale answer was counted');
  t.ok((stats.bytes as number) > 0);
});
