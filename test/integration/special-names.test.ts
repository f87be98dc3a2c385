// Special-use names seen from dig: localhost and the names under it are the loopback addresses
// (RFC 6761 §6.3), `local` (RFC 6762 §3) and `invalid` (RFC 6761 §6.4) do not exist, all answered
// by dnsfwd with AA and an SOA for negative answers, never forwarded to the default route; a
// configured route for `local` wins, and its names are forwarded.
import t, { type Test } from 'tap';
import { startDnsfwd, type DaemonProcess } from '../helpers/daemon.js';
import { dig, type DigResult } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';

const LISTEN = '127.0.29.1';
const DHCP = '127.0.29.2';
const MDNS_GATEWAY = '127.0.29.3';
const SOA_DATA = 'localhost. nobody.invalid. 1 3600 1200 604800 10800';

/** The AUTHORITY SECTION dig printed: owner, TTL, type, data. */
function authority(r: DigResult): { name: string; ttl: number; type: string; data: string }[] {
  const section = /;; AUTHORITY SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(r.raw)?.[1] ?? '';
  return section
    .split('\n')
    .map((line) => /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line.trim()))
    .filter((m) => m !== null)
    .map((m) => ({ name: m[1]!, ttl: Number(m[2]), type: m[3]!, data: m[4]! }));
}

const dhcpPort = await freePort(DHCP);
const dhcp = await startFake({ address: DHCP, port: dhcpPort, answer: (name) => ({ answers: [aRecord(name, '10.29.0.2')] }) });
const gatewayPort = await freePort(MDNS_GATEWAY);
const gateway = await startFake({ address: MDNS_GATEWAY, port: gatewayPort, answer: (name) => ({ answers: [aRecord(name, '10.29.0.3')] }) });
t.teardown(() => Promise.all([dhcp.close(), gateway.close()]));

/** dnsfwd with the fake DHCP server as its default route, and `routes` as its config's routes. */
async function daemon(t: Test, routes: string): Promise<{ d: DaemonProcess; port: number }> {
  const port = await freePort(LISTEN);
  const dir = t.testdir({
    'dnsfwd.yaml': [`listen: ["${LISTEN}:${port}"]`, routes, `default: { sources: [], servers: ["${DHCP}:${dhcpPort}"] }`, ''].join('\n'),
  });
  const d = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`]);
  t.teardown(() => d.stop());
  return { d, port };
}

t.test('without a route for them, dnsfwd answers the special-use names itself', async (t) => {
  const { d, port } = await daemon(t, 'routes: []');
  const seenBefore = dhcp.seen.length;

  const a = await dig(LISTEN, port, 'localhost');
  t.equal(a.status, 'NOERROR');
  t.same(a.answers, [{ name: 'localhost.', ttl: 10800, type: 'A', data: '127.0.0.1' }]);
  t.same(a.flags.sort(), ['aa', 'qr', 'ra', 'rd'], 'authoritative, recursion available, the client\'s RD');
  t.match(a.raw, /; EDNS: version: 0, flags:; udp: 1232/, 'our OPT record');

  const aaaa = await dig(LISTEN, port, 'foo.localhost', { type: 'AAAA' });
  t.equal(aaaa.status, 'NOERROR');
  t.same(aaaa.answers, [{ name: 'foo.localhost.', ttl: 10800, type: 'AAAA', data: '::1' }]);

  const cased = await dig(LISTEN, port, 'Foo.LocalHost', { tcp: true, edns: false });
  t.same(cased.answers, [{ name: 'Foo.LocalHost.', ttl: 10800, type: 'A', data: '127.0.0.1' }], 'owned by the name as the client wrote it, over TCP too');
  t.notMatch(cased.raw, /OPT PSEUDOSECTION/, 'no OPT for a client without EDNS');

  const mx = await dig(LISTEN, port, 'LocalHost', { type: 'MX' });
  t.equal(mx.status, 'NOERROR');
  t.same(mx.answers, []);
  t.ok(mx.flags.includes('aa'));
  t.match(mx.raw, /;; QUESTION SECTION:\n;LocalHost\.\s+IN\s+MX/, 'the question as the client wrote it');
  t.same(authority(mx), [{ name: 'localhost.', ttl: 10800, type: 'SOA', data: SOA_DATA }], 'NODATA with the SOA of localhost.');

  const printer = await dig(LISTEN, port, 'printer.local');
  t.equal(printer.status, 'NXDOMAIN');
  t.same(printer.answers, []);
  t.ok(printer.flags.includes('aa'));
  t.same(authority(printer), [{ name: 'local.', ttl: 10800, type: 'SOA', data: SOA_DATA }]);

  const invalid = await dig(LISTEN, port, 'x.invalid');
  t.equal(invalid.status, 'NXDOMAIN');
  t.same(authority(invalid), [{ name: 'invalid.', ttl: 10800, type: 'SOA', data: SOA_DATA }]);

  t.equal((await dig(LISTEN, port, 'localhost')).answers[0]?.data, '127.0.0.1', 'asked again: the same answer');

  // A name the default route serves, asked last: once it is answered, every query before it
  // that had been forwarded would have reached the DHCP server first.
  t.same((await dig(LISTEN, port, 'after.example')).answers.map((x) => x.data), ['10.29.0.2']);
  t.same(dhcp.seen.slice(seenBefore).map((s) => s.name.toLowerCase()), ['after.example'], 'the DHCP server saw none of the special-use names');

  const since = d.logs.length;
  d.child.kill('SIGUSR1');
  const stats = await d.waitForMsg('cache statistics', 10_000, since);
  t.match(stats, { entries: 1, hits: 0, misses: 1 }, 'the special-use names are neither cached nor counted as misses');
  t.notOk(Object.keys((d.logs.find((l) => l.msg === 'dnsfwd started')?.routes ?? {}) as object).includes('localhost'), 'not listed as a configured route');
});

t.test('a configured route for local wins: its names are forwarded there; localhost and invalid stay local', async (t) => {
  const { port } = await daemon(t, `routes: [{ zone: local, servers: ["${MDNS_GATEWAY}:${gatewayPort}"] }]`);
  const seenBefore = dhcp.seen.length;

  const printer = await dig(LISTEN, port, 'printer.local');
  t.equal(printer.status, 'NOERROR');
  t.same(printer.answers.map((x) => x.data), ['10.29.0.3'], 'answered by the configured server');
  t.notOk(printer.flags.includes('aa'), 'forwarded, not ours');
  t.equal(gateway.count('printer.local'), 1);

  t.equal((await dig(LISTEN, port, 'localhost')).answers[0]?.data, '127.0.0.1');
  t.equal((await dig(LISTEN, port, 'x.invalid')).status, 'NXDOMAIN');
  t.same((await dig(LISTEN, port, 'after.example')).answers.map((x) => x.data), ['10.29.0.2']);
  t.same(dhcp.seen.slice(seenBefore).map((s) => s.name.toLowerCase()), ['after.example'], 'the DHCP server saw none of them');
  t.same(gateway.seen.map((s) => s.name.toLowerCase()), ['printer.local'], 'the configured server saw only its own zone');
});
