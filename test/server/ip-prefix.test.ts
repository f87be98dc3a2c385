// Addresses and prefixes as numbers: every spelling of an address, IPv4-mapped IPv6 as IPv4,
// prefixes with and without host bits, containment and overlap, canonical text.
import t from 'tap';
import { contains, formatIp, formatPrefix, overlaps, parseIp, parsePrefix, prefixOf, type Prefix } from '../../src/server/ip-prefix.js';

function prefix(text: string): Prefix {
  const p = parsePrefix(text, 'reject');
  if (!p.ok) throw new Error(p.reason);
  return p.value;
}

const ip = (text: string) => {
  const r = parseIp(text);
  if (r === null) throw new Error(`not an address: ${text}`);
  return r;
};

t.test('parseIp: IPv4, IPv6 in any spelling, IPv4-mapped as IPv4, zone ignored, garbage null', async (t) => {
  t.same(parseIp('10.1.2.3'), { family: 4, value: 0x0a010203n });
  t.same(parseIp('::1'), { family: 6, value: 1n });
  t.same(parseIp('0:0:0:0:0:0:0:1'), { family: 6, value: 1n });
  t.same(parseIp('2001:db8::'), { family: 6, value: 0x20010db8n << 96n });
  t.same(parseIp('2001:DB8:0:0:1::'), parseIp('2001:db8::1:0:0:0'));
  t.same(parseIp('::ffff:192.168.200.2'), { family: 4, value: 0xc0a8c802n }, 'mapped, dotted');
  t.same(parseIp('::ffff:c0a8:c802'), { family: 4, value: 0xc0a8c802n }, 'mapped, hex');
  t.same(parseIp('64:ff9b::1.2.3.4'), { family: 6, value: (0x64ff9bn << 96n) | 0x01020304n }, 'NAT64 is not mapped');
  t.same(parseIp('fe80::1%eth0'), { family: 6, value: (0xfe80n << 112n) | 1n });
  for (const bad of ['', 'x', '1.2.3', '1.2.3.256', '::g', '10.0.0.0/8']) t.equal(parseIp(bad), null, JSON.stringify(bad));
});

t.test('parsePrefix: networks, bare addresses, mapped prefixes; every way of getting it wrong', async (t) => {
  t.equal(formatPrefix(prefix('10.0.0.0/8')), '10.0.0.0/8');
  t.equal(formatPrefix(prefix('10.0.0.5')), '10.0.0.5/32', 'an address alone is one host');
  t.equal(formatPrefix(prefix('2001:DB8:0::/32')), '2001:db8::/32', 'canonical text');
  t.equal(formatPrefix(prefix('::1')), '::1/128');
  t.equal(formatPrefix(prefix('0.0.0.0/0')), '0.0.0.0/0');
  t.equal(formatPrefix(prefix('::/0')), '::/0');
  t.equal(formatPrefix(prefix('::ffff:192.168.0.0/112')), '192.168.0.0/16', 'IPv4-mapped: the IPv4 prefix');
  t.equal(formatPrefix(prefix('::ffff:0:0/96')), '0.0.0.0/0', 'the whole mapped space: all of IPv4');
  t.equal(formatPrefix(prefix('::/80')), '::/80', 'wider than the mapped space: IPv6');
  const widerThanMapped = parsePrefix('::ffff:0:0/95', 'clear');
  t.equal(widerThanMapped.ok && formatPrefix(widerThanMapped.value), '::fffe:0:0/95', 'a mapped address under 96 bits: an IPv6 prefix');
  const reasons: Array<[string, string]> = [
    ['10.0.0.1/8', '"10.0.0.1/8": host bits are set (the network is 10.0.0.0/8)'],
    ['fd00::1/8', '"fd00::1/8": host bits are set (the network is fd00::/8)'],
    ['10.0.0.0/33', '"10.0.0.0/33": the prefix length must be a number from 0 to 32'],
    ['::/129', '"::/129": the prefix length must be a number from 0 to 128'],
    ['10.0.0.0/x', '"10.0.0.0/x": the prefix length must be a number from 0 to 32'],
    ['10.0.0.0/', '"10.0.0.0/": the prefix length must be a number from 0 to 32'],
    ['10.0.0.0/8/8', '"10.0.0.0/8/8": expected ADDR/LEN'],
    ['ten/8', '"ten/8": not an IP address (expected ADDR/LEN, e.g. 192.168.0.0/16 or fd00::/8)'],
    ['fe80::%eth0/64', '"fe80::%eth0/64": a zone index (%) is not allowed'],
  ];
  for (const [text, reason] of reasons) t.same(parsePrefix(text, 'reject'), { ok: false, reason }, text);
  const cleared = parsePrefix('10.77.0.1/24', 'clear');
  t.equal(cleared.ok && formatPrefix(cleared.value), '10.77.0.0/24', "an interface's cidr: host bits cleared");
});

t.test('contains and overlaps: by family and prefix', async (t) => {
  t.ok(contains(prefix('10.0.0.0/8'), ip('10.255.1.1')));
  t.notOk(contains(prefix('10.0.0.0/8'), ip('11.0.0.1')));
  t.ok(contains(prefix('0.0.0.0/0'), ip('::ffff:1.2.3.4')), 'a mapped client is in an IPv4 prefix');
  t.notOk(contains(prefix('::/0'), ip('1.2.3.4')), 'an IPv4 client is in no IPv6 prefix');
  t.ok(contains(prefix('2001:db8::/32'), ip('2001:db8:ffff::1')));
  t.notOk(contains(prefix('2001:db8::/32'), ip('2001:db9::1')));
  t.ok(overlaps(prefix('10.0.0.0/8'), prefix('10.1.0.0/16')));
  t.ok(overlaps(prefix('10.1.0.0/16'), prefix('10.0.0.0/8')));
  t.notOk(overlaps(prefix('10.0.0.0/16'), prefix('10.1.0.0/16')));
  t.notOk(overlaps(prefix('0.0.0.0/0'), prefix('::/0')));
});

t.test('prefixOf and formatIp: the /24 and /56 of a client, RFC 5952 text', async (t) => {
  t.equal(formatPrefix(prefixOf(ip('192.168.200.77'), 24)), '192.168.200.0/24');
  t.equal(formatPrefix(prefixOf(ip('2001:db8:1:2ff:1::1'), 56)), '2001:db8:1:200::/56');
  t.equal(formatIp(ip('2001:0:0:1:0:0:0:1')), '2001:0:0:1::1', 'the longest run of zeros');
  t.equal(formatIp(ip('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1', 'the first of two equal runs');
  t.equal(formatIp(ip('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1', 'one zero group stays');
  t.equal(formatIp(ip('::')), '::');
});
