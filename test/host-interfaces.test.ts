// readInterfaces: networkInterfaces() plus the addresses of the interfaces libuv leaves out (not
// running: a bridge with no port, NO-CARRIER), read from procfs. Parsed from texts captured in a
// network namespace (test/fixtures/proc/README.md), and live in a namespace of the test's own.
import type { NetworkInterfaceInfo } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import {
  connectedRouteOf,
  isBindable,
  ipv4Netmask,
  ipv6Netmask,
  parseConnectedRoutes,
  parseFibTrieLocals,
  parseIfInet6,
  readInterfaces,
  type InterfaceSources,
} from '../src/host-interfaces.js';
import { Netns } from './helpers/netns.js';
import { fixture, ROOT } from './helpers/tools.js';

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

const text = (name: string): string => fixture(`proc/${name}`).toString('utf8');
const FIB_TRIE = text('fib_trie');
const ROUTE = text('route');
const IF_INET6 = text('if_inet6');
/** What os.networkInterfaces() returned in the namespace, at the same moment. */
const LISTED = JSON.parse(text('networkInterfaces.json')) as Interfaces;

const fromFixtures = (o: Partial<InterfaceSources> = {}): InterfaceSources => ({
  networkInterfaces: () => structuredClone(LISTED),
  fibTrie: () => FIB_TRIE,
  route: () => ROUTE,
  ifInet6: () => IF_INET6,
  endianness: 'LE',
  ...o,
});
const unreadable = (path: string) => (): string => {
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
};

const BR0: NetworkInterfaceInfo[] = [
  { address: '172.31.5.1', netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '172.31.5.1/24' },
  { address: 'fd00:5::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal: false, cidr: 'fd00:5::1/64', scopeid: 0 },
];
const V4: NetworkInterfaceInfo[] = [
  { address: '10.20.40.5', netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '10.20.40.5/24' },
  { address: '192.168.77.2', netmask: '255.255.240.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '192.168.77.2/20' },
  { address: 'fd00:7::2', netmask: 'ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal: false, cidr: 'fd00:7::2/48', scopeid: 0 },
];

t.test('the fixtures: networkInterfaces() left out br0 and v4 (NO-CARRIER)', async (t) => {
  t.same(Object.keys(LISTED).sort(), ['lo', 'v2', 'v3']);
  t.match(text('ip-link.txt'), /^br0 .*<NO-CARRIER,/m);
  t.match(text('ip-link.txt'), /^v4@v5 .*<NO-CARRIER,/m);
});

t.test('parseFibTrieLocals: the /32 host LOCAL leaves of every table, once each', async (t) => {
  t.same(parseFibTrieLocals(FIB_TRIE).sort(), ['10.20.0.1', '10.20.30.1', '10.20.40.5', '10.9.8.7', '127.0.0.1', '172.31.5.1', '192.168.77.2'].sort());
  t.throws(() => parseFibTrieLocals('not a fib_trie\n'), /no table header/, 'a text with no table does not parse');
  t.same(parseFibTrieLocals('Main:\n  +-- 0.0.0.0/0 3 0 5\n'), [], 'tables with no local address');
});

t.test('parseConnectedRoutes: no gateway, not default, columns by header, little-endian words', async (t) => {
  t.same(parseConnectedRoutes(ROUTE, 'LE'), [
    { interface: 'v2', destination: '10.20.0.0', prefixLength: 16 },
    { interface: 'v2', destination: '10.20.30.0', prefixLength: 24 },
    { interface: 'v4', destination: '10.20.40.0', prefixLength: 24 },
    { interface: 'br0', destination: '172.31.5.0', prefixLength: 24 },
    { interface: 'v4', destination: '192.168.64.0', prefixLength: 20 },
  ]);
  // Columns in another order, big-endian words, a reject route and one through no interface.
  const reordered = [
    'Mask\tFlags\tIface\tGateway\tDestination',
    'FFFFFF00\t0001\tbr0\t00000000\tAC1F0500',
    'FFFF0000\t0201\tbr0\t00000000\t0A630000',
    'FFFF0000\t0001\t*\t00000000\t0A640000',
    'FFFFFFFF\t0005\teth0\t00000000\t0A650001',
  ].join('\n');
  t.same(parseConnectedRoutes(reordered, 'BE'), [
    { interface: 'br0', destination: '172.31.5.0', prefixLength: 24 },
    { interface: 'eth0', destination: '10.101.0.1', prefixLength: 32 },
  ]);
  t.throws(() => parseConnectedRoutes('Iface\tDestination\tGateway\n', 'LE'), /no Flags column/);
  t.throws(() => parseConnectedRoutes(`${ROUTE}br9\tzz\n`, 'LE'), /cannot parse/);
});

t.test('connectedRouteOf: the longest prefix containing the address', async (t) => {
  const routes = parseConnectedRoutes(ROUTE, 'LE');
  t.equal(connectedRouteOf('10.20.40.5', routes)?.interface, 'v4', "v4's /24 inside v2's /16");
  t.equal(connectedRouteOf('10.20.40.5', [...routes].reverse())?.interface, 'v4', 'whatever the order of the routes');
  t.equal(connectedRouteOf('10.20.30.1', routes)?.prefixLength, 24);
  t.equal(connectedRouteOf('10.20.0.1', routes)?.prefixLength, 16);
  t.equal(connectedRouteOf('10.9.8.7', routes), undefined, 'a /32 has no connected route');
});

t.test('parseIfInet6: hex fields; tentative or DAD-failed addresses are not bindable', async (t) => {
  const all = parseIfInet6(IF_INET6);
  t.same(
    all.map((a) => `${a.interface} ${a.address}/${a.prefixLength} #${a.ifindex} scope ${a.scope} ${isBindable(a) ? 'bindable' : 'not bindable'}`),
    [
      'br0 fd00:6::1/64 #2 scope 0 not bindable',
      'br0 fe80::b821:30ff:fe65:93ec/64 #2 scope 32 not bindable',
      'br0 fd00:5::1/64 #2 scope 0 bindable',
      'v2 fe80::40b4:b4ff:fe15:4699/64 #6 scope 32 not bindable',
      'v4 fd00:7::2/48 #8 scope 0 bindable',
      'lo ::1/128 #1 scope 16 bindable',
      'v3 fe80::445e:9bff:fe19:7c90/64 #5 scope 32 bindable',
    ],
  );
  const base = { address: 'fd00::1', ifindex: 2, prefixLength: 64, scope: 0, interface: 'x' };
  t.ok(isBindable({ ...base, flags: 0x44 }), 'tentative but optimistic');
  t.notOk(isBindable({ ...base, flags: 0x88 }), 'DAD failed');
  t.same(parseIfInet6('0000000000000000000000000000000a 1a 80 00 80 eth12\n')[0], { address: '::a', ifindex: 26, prefixLength: 128, scope: 0, flags: 0x80, interface: 'eth12' }, 'ifindex is hex');
  t.throws(() => parseIfInet6('fd00 02 40 00 80 br0\n'), /cannot parse/);
});

t.test('netmasks are spelled as networkInterfaces() spells them', async (t) => {
  for (const info of Object.values(LISTED).flat()) {
    const length = Number(info!.cidr!.split('/')[1]);
    t.equal(info!.family === 'IPv4' ? ipv4Netmask(length) : ipv6Netmask(length), info!.netmask, info!.cidr!);
  }
  t.equal(ipv4Netmask(0), '0.0.0.0');
  t.equal(ipv6Netmask(0), '::');
  t.equal(ipv6Netmask(65), 'ffff:ffff:ffff:ffff:8000::');
});

t.test('readInterfaces: adds br0 and v4 from the fixtures, leaves the listed ones alone', async (t) => {
  const got = readInterfaces(fromFixtures());
  t.same(Object.keys(got), ['lo', 'v2', 'v3', 'v4', 'br0'], 'added in the order fib_trie lists them');
  for (const name of ['lo', 'v2', 'v3']) t.strictSame(got[name], LISTED[name], `${name}: as listed, nothing added twice`);
  t.strictSame(got.br0, BR0, 'br0: 172.31.5.1/24 and fd00:5::1/64 (not the tentative fd00:6::1 nor fe80::)');
  t.strictSame(got.v4, V4, 'v4: not 10.9.8.7/32, which has no connected route');
});

t.test('readInterfaces: with nothing listed, rebuilds the entries networkInterfaces() gave (bar the MAC)', async (t) => {
  const got = readInterfaces(fromFixtures({ networkInterfaces: () => ({}) }));
  const zeroMac = (list: NetworkInterfaceInfo[] | undefined) => (list ?? []).map((i) => ({ ...i, mac: '00:00:00:00:00:00' }));
  // Left out of the rebuild: 127.0.0.1 (its 127/8 route is in the local table, which route does not
  // show) and v2's link-local, still tentative at capture time. Both are on running interfaces.
  t.strictSame(got.lo, zeroMac(LISTED.lo).filter((i) => i.family === 'IPv6'));
  t.strictSame(got.v2, zeroMac(LISTED.v2).filter((i) => !i.address.startsWith('fe80')));
  t.strictSame(got.v3, zeroMac(LISTED.v3), 'link-local: scopeid is the ifindex');
});

t.test('readInterfaces: an address networkInterfaces() lists is not added again, however spelled', async (t) => {
  const listed: Interfaces = {
    br0: [
      { ...BR0[0]!, mac: 'aa:bb:cc:dd:ee:ff' },
      { ...BR0[1]!, address: 'FD00:5:0:0:0:0:0:1', mac: 'aa:bb:cc:dd:ee:ff' },
    ],
  };
  const got = readInterfaces(fromFixtures({ networkInterfaces: () => structuredClone(listed) }));
  t.strictSame(got.br0, listed.br0);
  t.strictSame(got.v4, V4);
});

t.test('readInterfaces: unreadable or unparsable proc files give networkInterfaces() alone', async (t) => {
  const none = { fibTrie: unreadable('/proc/self/net/fib_trie'), route: unreadable('/proc/self/net/route'), ifInet6: unreadable('/proc/self/net/if_inet6') };
  t.strictSame(readInterfaces(fromFixtures(none)), LISTED, 'none readable');
  t.strictSame(readInterfaces(fromFixtures({ fibTrie: () => 'garbage', route: () => 'garbage', ifInet6: () => 'garbage' })), LISTED, 'none parsable');
  // Each family stands alone: IPv6 disabled on the kernel (no if_inet6) still adds IPv4 addresses.
  const v4only = readInterfaces(fromFixtures({ ifInet6: unreadable('/proc/self/net/if_inet6') }));
  t.strictSame(v4only.br0, BR0.filter((i) => i.family === 'IPv4'));
  const v6only = readInterfaces(fromFixtures({ route: unreadable('/proc/self/net/route') }));
  t.strictSame(v6only.br0, BR0.filter((i) => i.family === 'IPv6'));
});

t.test('live: a bridge whose last port went away (NO-CARRIER) has its addresses read, and they bind', async (t) => {
  const ns = await Netns.create('the host-interfaces test makes a network namespace with a bridge');
  t.teardown(() => ns.close());
  await ns.must(
    [
      'ip link add br0 type bridge',
      'ip link set br0 addrgenmode none',
      'ip link set br0 up',
      'ip link add p0 type veth peer name p1',
      'ip link set p0 master br0',
      'ip link set p0 up',
      'ip link del p0',
      'ip addr add 172.31.5.1/24 dev br0',
      'ip -6 addr add fd00:5::1/64 dev br0 nodad',
      'ip -6 addr add fd00:6::1/64 dev br0',
    ].join(' && '),
  );
  t.match(await ns.must('ip -o link show br0'), /<NO-CARRIER,/, 'br0 has no carrier');
  const module = pathToFileURL(join(ROOT, 'build/src/host-interfaces.js')).href;
  const script = `
    import { networkInterfaces } from 'node:os';
    import { createSocket } from 'node:dgram';
    import { readInterfaces } from ${JSON.stringify(module)};
    const read = readInterfaces();
    const bound = {};
    for (const i of read.br0 ?? []) {
      bound[i.address] = await new Promise((resolve) => {
        const s = createSocket(i.family === 'IPv4' ? 'udp4' : 'udp6');
        s.once('error', (e) => resolve(e.code));
        s.bind(0, i.address, () => (s.close(), resolve('bound')));
      });
    }
    process.stdout.write(JSON.stringify({ listed: networkInterfaces(), read, bound }));
  `;
  const out = await ns.must(`${JSON.stringify(process.execPath)} --input-type=module -e ${shellQuote(script)}`);
  const { listed, read, bound } = JSON.parse(out) as { listed: Interfaces; read: Interfaces; bound: Record<string, string> };
  t.notOk(listed.br0, 'networkInterfaces() leaves br0 out');
  t.strictSame(
    read.br0?.map((i) => `${i.cidr} ${i.netmask}`),
    ['172.31.5.1/24 255.255.255.0', 'fd00:5::1/64 ffff:ffff:ffff:ffff::'],
    'readInterfaces() has them (the tentative fd00:6::1 is left out)',
  );
  t.strictSame(bound, { '172.31.5.1': 'bound', 'fd00:5::1': 'bound' }, 'each address it adds can be bound');
  t.strictSame(read.lo, listed.lo, 'lo as networkInterfaces() lists it, nothing added twice');
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
