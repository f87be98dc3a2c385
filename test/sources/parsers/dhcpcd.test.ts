// The dhcpcd lease parser on every captured dhcpcd sample, then on DHCPACKs assembled here.
import t from 'tap';
import { parseDhcpcd } from '../../../src/sources/parsers/dhcpcd.js';
import { hosts, oneLease as ok } from '../../helpers/lease.js';
import { fixture as anyFixture } from '../../helpers/tools.js';

const fixture = (name: string): Buffer => anyFixture(`dhcp/${name}`);

/** One option: code, length, data (RFC 2132 §2). */
const opt = (code: number, ...data: number[]): number[] => [code, data.length, ...data];
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const END = 255;

/** A DHCPACK (op 2, magic cookie, yiaddr 10.0.0.5, chaddr 52:54:00:00:12:34) with these option bytes. */
function ack(options: number[], fields: { op?: number; cookie?: number; sname?: number[]; file?: number[] } = {}): Buffer {
  const head = Buffer.alloc(240);
  head[0] = fields.op ?? 2;
  head[1] = 1;
  head[2] = 6;
  head.set([10, 0, 0, 5], 16);
  head.set([0x52, 0x54, 0, 0, 0x12, 0x34], 28);
  head.set(fields.sname ?? [], 44);
  head.set(fields.file ?? [], 108);
  head.writeUInt32BE(fields.cookie ?? 0x63825363, 236);
  return Buffer.concat([head, Buffer.from(options)]);
}

t.test('captured dhcpcd 9.4.1 samples', async (t) => {
  const cases: [string, string[]][] = [
    ['dhcpcd-9.4.1-debian12_lp-g.lease_raw-DHCPACK_2dns.bin', ['192.168.121.1:53', '192.168.121.2:53']],
    ['dhcpcd-9.4.1-debian12_lp-g.lease_raw-DHCPACK_after-renew-dns-changed.bin', ['192.168.121.2:53']],
    // dhcpcd.conf's `static domain_name_servers=127.0.0.1` reaches the hooks, not the lease file.
    ['dhcpcd-9.4.1-debian12_lp-g.lease_static-dns-override-not-in-lease.bin', ['192.168.121.1:53', '192.168.121.2:53']],
  ];
  for (const [name, servers] of cases) {
    const r = ok(parseDhcpcd(fixture(name)));
    t.same(hosts(r), servers, name);
    t.same(r.lease, { link: '4', servers: r.lease.servers, domains: ['lab.test'] }, `${name}: no expiry, the domain option 15 names`);
    t.same(r.warnings, [], `${name}: no warnings`);
    t.same(parseDhcpcd(fixture(name).toString('latin1')), parseDhcpcd(fixture(name)), 'read as latin1 text, as the source reads it');
  }
});

t.test('every cut of a sample fails with a reason or, cut between options, still parses', async (t) => {
  const whole = fixture('dhcpcd-9.4.1-debian12_lp-g.lease_raw-DHCPACK_2dns.bin');
  const expected = /^(empty file|too short|truncated: option \d+ at offset 0x[0-9a-f]+ runs past the end of the options)/;
  let parsed = 0;
  for (let n = 0; n < whole.length; n++) {
    const r = parseDhcpcd(whole.subarray(0, n));
    if (r.ok) parsed++;
    else if (!expected.test(r.reason)) {
      t.fail(`cut at ${n}: ${r.reason}`);
    }
  }
  t.equal(parsed, 12, 'the cuts right after each of the 11 options, and before the first one');
  t.same(parseDhcpcd(whole.subarray(0, 0x133)), {
    ok: false,
    reason: 'truncated: option 6 at offset 0x130 runs past the end of the options',
  });
  const noEnd = ok(parseDhcpcd(whole.subarray(0, whole.length - 1)));
  t.same(hosts(noEnd), ['192.168.121.1:53', '192.168.121.2:53'], 'no end option (dhcpcd < 9)');
});

t.test('garbage and empty files are failures with a reason', async (t) => {
  t.same(parseDhcpcd(Buffer.alloc(0)), { ok: false, reason: 'empty file' });
  t.same(parseDhcpcd(''), { ok: false, reason: 'empty file' }, 'empty text too');
  t.same(parseDhcpcd(Buffer.alloc(100)), { ok: false, reason: 'too short for a DHCP message: 100 bytes, at least 240' });
  t.same(parseDhcpcd(ack([END], { op: 1 })), { ok: false, reason: 'not a DHCP reply: op is 1, expected 2 (BOOTREPLY)' });
  t.same(parseDhcpcd(ack([END], { cookie: 0x12345678 })), {
    ok: false,
    reason: 'no DHCP magic cookie at offset 0xec (found 0x12345678)',
  });
  const text = 'lease {\n  interface "eth0";\n  option domain-name-servers 10.0.0.1;\n}\n'.repeat(8);
  t.match(parseDhcpcd(text), { ok: false, reason: /not a DHCP reply/ }, 'a dhclient file');
  const noise = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256));
  t.match(parseDhcpcd(noise), { ok: false, reason: String });
  const cut = ack([...opt(6, 10, 0, 0, 1), 15, 9, 0x61]);
  t.match(parseDhcpcd(cut), { ok: false, reason: /^truncated: option 15 at offset 0xf6/ });
  t.match(parseDhcpcd(ack([6])), { ok: false, reason: /^truncated: option 6 at offset 0xf0/ }, 'a code without its length');
});

t.test('nameservers: duplicates dropped, unusable addresses and a bad length skipped with a warning', async (t) => {
  const dns = [10, 0, 0, 1, 0, 0, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1, 255, 255, 255, 255, 10, 0];
  const r = ok(parseDhcpcd(ack([...opt(6, ...dns), END])));
  t.same(hosts(r), ['10.0.0.1:53', '10.0.0.2:53']);
  t.same(r.warnings, [
    'option 6: length 22 is not a multiple of 4; the rest is skipped',
    'option 6: nameserver 0.0.0.0 is not a usable address',
    'option 6: nameserver 255.255.255.255 is not a usable address',
  ]);
  const none = ok(parseDhcpcd(ack([...opt(53, 5), END])));
  t.same(none.lease.servers, [], 'an ACK without option 6 is a lease without servers');
  t.same(parseDhcpcd(ack([...opt(53, 5), END]).toString('latin1')), { ok: true, leases: [{ link: '4', servers: [] }], warnings: [] });
});

t.test('pads, split options (RFC 3396) and option overload (RFC 2132 §9.3)', async (t) => {
  const split = ok(parseDhcpcd(ack([0, 0, ...opt(6, 10, 0, 0, 1, 10), 0, ...opt(6, 0, 0, 2), END])));
  t.same(hosts(split), ['10.0.0.1:53', '10.0.0.2:53'], 'two parts of option 6 joined');
  const inFile = ack([...opt(52, 1), ...opt(6, 10, 0, 0, 1), END], { file: [...opt(6, 10, 0, 0, 9), END] });
  t.same(hosts(ok(parseDhcpcd(inFile))), ['10.0.0.1:53', '10.0.0.9:53'], 'options, then file');
  const both = ack([...opt(52, 3), END], { sname: [...opt(6, 10, 0, 0, 8), END], file: opt(6, 10, 0, 0, 7) });
  t.same(hosts(ok(parseDhcpcd(both))), ['10.0.0.7:53', '10.0.0.8:53'], 'file before sname; no end option needed there');
  const ignored = ack([...opt(6, 10, 0, 0, 1), END], { file: [...opt(6, 10, 0, 0, 9), END] });
  t.same(hosts(ok(parseDhcpcd(ignored))), ['10.0.0.1:53'], 'without option 52 the file field is a file name');
  const cut = ack([...opt(52, 2), END], { sname: [6, 80] });
  t.same(parseDhcpcd(cut), { ok: false, reason: 'truncated: option 6 at offset 0x2c runs past the end of the sname field' });
});

t.test('domains from options 15 and 119 (RFC 3397, compressed)', async (t) => {
  // eng.example.com, example.com (a pointer to byte 4), lab.test
  const search = [
    ...[3, ...ascii('eng'), 7, ...ascii('example'), 3, ...ascii('com'), 0],
    ...[0xc0, 4],
    ...[3, ...ascii('lab'), 4, ...ascii('test'), 0],
  ];
  const r = ok(parseDhcpcd(ack([...opt(15, ...ascii('Lab.Test.'), 0), ...opt(119, ...search), END])));
  t.same(r.lease.domains, ['lab.test', 'eng.example.com', 'example.com'], 'option 15 (its terminating NUL dropped), then 119');
  t.same(r.warnings, []);
  const parts = ok(parseDhcpcd(ack([...opt(119, ...search.slice(0, 10)), ...opt(119, ...search.slice(10)), END])));
  t.same(parts.lease.domains, ['eng.example.com', 'example.com', 'lab.test'], 'option 119 split in two');
  const several = ok(parseDhcpcd(ack([...opt(15, ...ascii('a.test b.test a.test')), END])));
  t.same(several.lease.domains, ['a.test', 'b.test']);
});

t.test('a bad option 119 or domain name is skipped with a warning', async (t) => {
  const forward = ok(parseDhcpcd(ack([...opt(15, ...ascii('ok.test')), ...opt(119, 0xc0, 2, 1, 0x61, 0), END])));
  t.same(forward.lease.domains, ['ok.test']);
  t.same(forward.warnings, ['option 119 skipped: name at byte 0: pointer to byte 2 does not point back']);
  const self = ok(parseDhcpcd(ack([...opt(119, 1, 0x61, 0xc0, 0), END])));
  t.match(self.warnings, [/pointer to byte 0 does not point back/], 'a pointer to its own name');
  const open = ok(parseDhcpcd(ack([...opt(119, 3, ...ascii('abc')), END])));
  t.match(open.warnings, [/runs past the end of the option/]);
  const dot = ok(parseDhcpcd(ack([...opt(119, 3, ...ascii('a.b'), 0), END])));
  t.match(dot.warnings, [/label "a.b" holds a dot/]);
  const bad = ok(parseDhcpcd(ack([...opt(15, ...ascii('bad_name!')), END])));
  t.notOk('domains' in bad.lease, 'no domains');
  t.same(bad.warnings, ['options 15/119: domain "bad_name!" is not a domain name']);
});

t.test('no expiry, whatever the lease time (option 51) says', async (t) => {
  const outcome = parseDhcpcd(ack([...opt(51, 0, 0, 0, 60), ...opt(6, 10, 0, 0, 1), END]).toString('latin1'));
  t.ok(outcome.ok && outcome.leases[0]!.expires === undefined, 'no expiry: dhcpcd deletes the file when the lease ends');
});

// RFC 2132 §9.3: option 52 is one byte, 1, 2 or 3; anything else leaves `file` and `sname` alone.
t.test('option overload only as one byte of 1, 2 or 3; a cut-off file field is a failure', async (t) => {
  const file = { file: [...opt(6, 10, 0, 0, 9), END] };
  const twoBytes = ack([...opt(52, 1, 0), ...opt(6, 10, 0, 0, 1), END], file);
  t.same(hosts(ok(parseDhcpcd(twoBytes))), ['10.0.0.1:53'], 'option 52 of two bytes: ignored');
  const five = ack([...opt(52, 5), ...opt(6, 10, 0, 0, 1), END], file);
  t.same(hosts(ok(parseDhcpcd(five))), ['10.0.0.1:53'], 'option 52 = 5: ignored');
  const cut = ack([...opt(52, 1), END], { file: [6, 200] });
  t.same(parseDhcpcd(cut), { ok: false, reason: 'truncated: option 6 at offset 0x6c runs past the end of the file field' });
});

// Option 119's names are checked exactly: each way one can be broken has its own reason.
t.test('option 119: a cut-off pointer or label, and pointers that do not point back, have their reason', async (t) => {
  const warning = (data: number[]) => ok(parseDhcpcd(ack([...opt(119, ...data), END]))).warnings;
  t.same(warning([1, 0x61, 0, 0xc0]), ['option 119 skipped: name at byte 3: pointer cut off']);
  t.same(warning([3, ...ascii('abc')]), ['option 119 skipped: name at byte 0: runs past the end of the option'], 'no root label');
  t.same(warning([5, ...ascii('ab')]), ['option 119 skipped: name at byte 0: label runs past the end of the option']);
  t.same(warning([0x41, 0x61, 0]), ['option 119 skipped: name at byte 0: label type 0x40 is not a length (RFC 1035 §4.1.4)']);
  // Each pointer must point before the previous one's target: 10 → 1 → 6 → 1 … would never end.
  const loop = [3, 0xc0, 6, 0x41, 0, 3, 0xc0, 1, 0x42, 0, 0xc0, 1];
  t.same(warning(loop), ['option 119 skipped: name at byte 10: pointer to byte 6 does not point back']);
});

// A name reached through two pointers ends after the first one (RFC 1035 §4.1.4).
t.test('option 119: a name through two pointers, then the next name', { timeout: 10_000 }, async (t) => {
  const data = [
    ...[7, ...ascii('example'), 3, ...ascii('com'), 0], // 0: example.com
    ...[3, ...ascii('lab'), 0xc0, 0], // 13: lab.example.com
    ...[3, ...ascii('eng'), 0xc0, 13], // 19: eng.lab.example.com, through 13 then 0
    ...[4, ...ascii('test'), 0], // 25: test
  ];
  const r = ok(parseDhcpcd(ack([...opt(119, ...data), END])));
  t.same(r.lease.domains, ['example.com', 'lab.example.com', 'eng.lab.example.com', 'test']);
  t.same(r.warnings, []);
});
