// The dhclient lease parser on every captured dhclient sample, then on synthetic edge cases. The
// parser hands over every lease; which are current at a moment is lease-choice's decision, applied
// here as the source applies it.
import t from 'tap';
import { formatEndpoint } from '../../../src/address.js';
import { chooseLeases, type LeaseServers } from '../../../src/sources/lease-choice.js';
import type { ParseOutcome } from '../../../src/sources/parse-outcome.js';
import { parseDhclient } from '../../../src/sources/parsers/dhclient.js';
import { fixture as anyFixture } from '../../helpers/tools.js';

const fixture = (name: string): string => anyFixture(`dhcp/${name}`).toString('utf8');
/** Long after every sample lease expired (the samples were captured 2026-11-24 ~14:20 UTC). */
const LATER = new Date('2027-01-01T00:00:00Z');
const at = (hms: string): Date => new Date(`2026-11-24T${hms}Z`);

interface Parsed {
  /** Every complete lease, in file order. */
  readonly all: readonly LeaseServers[];
  /** The current ones at the moment asked for: one per link. */
  readonly leases: readonly LeaseServers[];
  /** Their servers, as `ADDR:PORT`. */
  readonly servers: string[];
  readonly warnings: readonly string[];
}

/** Parses `text` (it must parse) and chooses the current leases at `now`. */
function parsed(text: string, now: Date): Parsed {
  const r = parseDhclient(text);
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  const choice = chooseLeases(r.leases, now.getTime());
  return { all: r.leases, leases: choice.leases, servers: choice.servers.map(formatEndpoint), warnings: r.warnings ?? [] };
}
const failure = (r: ParseOutcome): string => (r.ok ? 'parsed' : r.reason);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

t.test('captured dhclient 4.4.3 samples', async (t) => {
  const cases: [string, string[]][] = [
    ['dhclient-4.4.3-debian12_after-first-bind_2dns.leases', ['192.168.121.1:53', '192.168.121.2:53']],
    ['dhclient-4.4.3-debian12_bind+renew+renew-after-dns-change.leases', ['192.168.121.2:53']],
    ['dhclient-4.4.3-debian12_after-second-dhclient-start-rewrite.leases', ['192.168.121.2:53']],
    ['dhclient-4.4.3-debian12_two-dhclients-same-leasefile_NUL-hole.leases', ['192.168.121.2:53']],
    ['dhclient-4.4.3-debian12_supersede-dns-127.0.0.1.leases', ['127.0.0.1:53']],
    [
      'dhclient-4.4.3-debian12_prepend-dns-127.0.0.1_bind+renew+restart.leases',
      ['127.0.0.1:53', '192.168.121.1:53', '192.168.121.2:53'],
    ],
  ];
  for (const [name, servers] of cases) {
    const r = parsed(fixture(name), LATER);
    t.same(r.servers, servers, name);
    t.equal(r.leases.length, 1, `${name}: one interface`);
    t.equal(r.leases[0]!.link, '4/lp-g');
    t.same(r.warnings, [], `${name}: no warnings`);
  }
});

t.test('first-bind sample: the lease as the source sees it', async (t) => {
  const r = parsed(fixture('dhclient-4.4.3-debian12_after-first-bind_2dns.leases'), at('14:15:00'));
  t.same(r.leases, [
    {
      link: '4/lp-g',
      servers: [
        { host: '192.168.121.1', port: 53, family: 4 },
        { host: '192.168.121.2', port: 53, family: 4 },
      ],
      expires: Date.parse('2026-11-24T14:16:38.000Z'),
      domains: ['lab.test'],
    },
  ]);
});

t.test('renew after DNS change: the last block wins whether or not leases expired', async (t) => {
  const text = fixture('dhclient-4.4.3-debian12_bind+renew+renew-after-dns-change.leases');
  for (const now of [at('14:15:00'), at('14:17:00'), LATER]) {
    const r = parsed(text, now);
    t.same(r.servers, ['192.168.121.2:53'], now.toISOString());
    t.equal(iso(r.leases[0]!.expires), '2026-11-24T14:18:22.000Z');
  }
});

t.test('NUL hole: parses; an expired last block yields to an earlier unexpired one', async (t) => {
  const text = fixture('dhclient-4.4.3-debian12_two-dhclients-same-leasefile_NUL-hole.leases');
  t.ok(text.includes('\0'), 'the fixture really has NUL bytes');
  // Block 3 expires 14:19:26, block 4 (after the hole) 14:19:14.
  const live = parsed(text, at('14:19:20'));
  t.equal(iso(live.leases[0]!.expires), '2026-11-24T14:19:26.000Z', 'block 3, the unexpired one');
  const stale = parsed(text, LATER);
  t.equal(iso(stale.leases[0]!.expires), '2026-11-24T14:19:14.000Z', 'all expired: the last block');
  t.same(stale.servers, ['192.168.121.2:53']);
});

const block = (iface: string, dns: string, expire = 'never', extra = ''): string =>
  `lease {\n  interface "${iface}";\n  fixed-address 10.9.9.9;\n${extra}` +
  `  option domain-name-servers ${dns};\n  expire ${expire};\n}\n`;

t.test('two interfaces: union in order of first appearance, no duplicates', async (t) => {
  const text =
    block('eth0', '10.0.0.1,10.0.0.2') + block('eth1', '10.1.0.1,10.0.0.3') + block('eth0', '10.0.0.3, 10.0.0.4');
  const r = parsed(text, LATER);
  t.same(
    r.leases.map((l) => l.link),
    ['4/eth0', '4/eth1'],
  );
  t.same(r.servers, ['10.0.0.3:53', '10.0.0.4:53', '10.1.0.1:53']);
});

t.test('expired vs unexpired', async (t) => {
  const now = new Date('2026-06-01T12:00:00Z');
  const past = '0 2026/05/31 12:00:00';
  const future = '1 2026/06/01 12:30:00';
  const onlyLive = parsed(block('eth0', '10.0.0.1', future) + block('eth1', '10.1.0.1', past), now);
  t.same(onlyLive.servers, ['10.0.0.1:53'], 'the expired interface is dropped');
  const earlier = parsed(block('eth0', '10.0.0.1', future) + block('eth0', '10.0.0.2', past), now);
  t.same(earlier.servers, ['10.0.0.1:53'], 'an expired last block yields to an unexpired earlier one');
  const allPast = parsed(block('eth0', '10.0.0.1', past) + block('eth1', '10.1.0.1', past), now);
  t.same(allPast.servers, ['10.0.0.1:53', '10.1.0.1:53'], 'nothing unexpired: the last lease per interface');
  const never = parsed(block('eth0', '10.0.0.1', 'never') + block('eth1', '10.1.0.1', past), now);
  t.same(never.servers, ['10.0.0.1:53'], '"never" does not expire');
  t.equal(never.leases[0]!.expires, undefined);
  t.same(only(block('eth0', '10.0.0.1', 'never')).warnings, [], '"never" is understood: no warning');
});

t.test('epoch dates (db-time-format local)', async (t) => {
  const text = 'lease {\n  interface "eth0";\n  option domain-name-servers 10.0.0.1;\n' +
    '  renew epoch 1795000000; # Wed Nov 18 09:46:40 2026\n  expire epoch 1795003600; # Wed Nov 18 10:46:40 2026\n}\n';
  const r = parsed(text, new Date(1795000000 * 1000));
  t.equal(r.leases[0]!.expires, 1795003600 * 1000);
  t.same(r.warnings, []);
});

t.test('comments, quoted strings, options in any order, top-level statements', async (t) => {
  const text = [
    '# written by a test; lease { in a comment is not a block',
    'default-duid "\\000\\001\\000\\001\\"\\\\x";',
    'lease { # trailing comment',
    '  option domain-search "lab.test.", "example.org.";',
    '  option domain-name "a#b c";',
    '  option domain-name-servers 192.0.2.1,2001:db8::53; # a comment',
    '  expire 3 2026/11/25 00:00:00;',
    '  interface "eth0";',
    '}',
  ].join('\n');
  const r = parsed(text, at('12:00:00'));
  const l = r.leases[0]!;
  t.equal(l.link, '4/eth0');
  t.same(l.domains, ['c', 'lab.test', 'example.org'], '# inside quotes is not a comment: "c" after it was read');
  t.match(r.warnings, [/domain "a#b" is not a domain name/]);
  t.same(r.servers, ['192.0.2.1:53', '[2001:db8::53]:53']);
});

t.test('a partial trailing block is ignored', async (t) => {
  const partial = 'lease {\n  interface "eth0";\n  option domain-name-servers 10.0.0.9;\n  renew 2 2026/1';
  t.same(parsed(block('eth0', '10.0.0.1') + partial, LATER).servers, ['10.0.0.1:53']);
  t.same(parseDhclient(partial), { ok: false, reason: 'the only lease block is cut off (no closing "}")' });
  const openString = parsed(block('eth0', '10.0.0.1') + 'lease {\n  interface "eth', LATER);
  t.same(openString.servers, ['10.0.0.1:53']);
});

t.test('a block cut off in the middle of the file does not swallow the complete one after it', async (t) => {
  const cut = 'lease {\n  interface "eth0";\n  option domain-name-servers 10.0.0.8;\n  renew 2 20';
  const r = parsed(block('eth0', '10.0.0.1') + cut + '\0\0\0' + block('eth0', '10.0.0.2'), LATER);
  t.same(r.servers, ['10.0.0.2:53'], 'the last complete lease wins');
  t.equal(r.all.length, 2, 'the cut-off block is not a lease');
  const inner = 'lease6 {\n  interface "eth0";\n  ia-na 1a:2b { starts 1; iaaddr fd00::5 { starts 1; ';
  t.same(parsed(inner + block('eth1', '10.0.0.3'), LATER).servers, ['10.0.0.3:53'], 'cut inside a nested block too');
});

t.test('a date that does not exist is skipped with a warning, not rolled over', async (t) => {
  const text = 'lease {\n  interface "eth0";\n  option domain-name-servers 10.0.0.1;\n  expire 1 2026/02/30 00:00:00;\n}\n';
  const r = parsed(text, LATER);
  t.equal(r.leases[0]!.expires, undefined);
  t.match(r.warnings, [/date "1 2026\/02\/30 00:00:00" not understood/]);
});

t.test('garbage and empty files are failures with a reason', async (t) => {
  t.same(parseDhclient(''), { ok: false, reason: 'empty file' });
  t.match(failure(parseDhclient('\0\0\n  \0')), /whitespace and NUL/);
  t.same(parseDhclient('hello world\nthis is not { a lease } file;\n'), { ok: false, reason: 'no lease { } block found' });
  const binary = String.fromCharCode(...Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256));
  t.match(parseDhclient(binary), { ok: false, reason: String });
  t.match(parseDhclient('nameserver 10.0.0.1\n'), { ok: false, reason: 'no lease { } block found' });
});

t.test('bad values are skipped with a warning', async (t) => {
  const text = block('eth0', '10.0.0.1, not-an-ip, 10.0.0.2:5353', '2 2026/13/40 99:00:00');
  const r = parsed(text, LATER);
  t.same(r.servers, ['10.0.0.1:53']);
  t.equal(r.leases[0]!.expires, undefined);
  t.match(r.warnings, [/line 4: nameserver "not-an-ip"/, /nameserver "10.0.0.2:5353"/, /line 5: date .* not understood/]);
});

t.test('a lease without nameservers is a lease with no servers', async (t) => {
  const r = parsed('lease {\n  interface "eth0";\n  fixed-address 10.0.0.5;\n}\n', LATER);
  t.equal(r.leases.length, 1);
  t.same(r.servers, []);
});

t.test('dhclient -6 lease6 blocks', async (t) => {
  const text = [
    'default-duid "\\000\\001\\000\\001\\036\\253\\314\\300RT\\000\\000\\0224";',
    'lease6 {',
    '  interface "eth0";',
    '  ia-na 00:00:12:34 {',
    '    starts 1795000000;',
    '    renew 300;',
    '    rebind 480;',
    '    iaaddr 2001:db8::100 {',
    '      starts 1795000000;',
    '      preferred-life 450;',
    '      max-life 600;',
    '    }',
    '  }',
    '  option dhcp6.client-id 0:1:0:1:1e:ab:cc:c0:52:54:0:0:12:34;',
    '  option dhcp6.name-servers 2001:db8::53,2001:db8::54;',
    '  option dhcp6.domain-search "lab.test.";',
    '}',
    block('eth0', '192.0.2.53'),
  ].join('\n');
  const r = parsed(text, new Date(1795000100 * 1000));
  t.same(r.servers, ['[2001:db8::53]:53', '[2001:db8::54]:53', '192.0.2.53:53'], 'v6 and v4 of one link both count');
  const v6 = r.leases[0]!;
  t.equal(v6.link, '6/eth0');
  t.same(v6.domains, ['lab.test']);
  t.equal(v6.expires, 1795000600 * 1000);
});

t.test('domains: domain-name and domain-search, lower case, no trailing dot, each once', async (t) => {
  const samples = ['after-first-bind_2dns', 'bind+renew+renew-after-dns-change', 'supersede-dns-127.0.0.1'];
  for (const name of samples.map((s) => `dhclient-4.4.3-debian12_${s}.leases`)) {
    const outcome = parseDhclient(fixture(name));
    t.ok(outcome.ok, name);
    if (outcome.ok) t.ok(outcome.leases.every((l) => l.domains?.join() === 'lab.test'), `${name}: every lease has lab.test`);
  }
  const text = [
    'lease {',
    '  interface "eth0";',
    '  option domain-search "Corp.Example.", "lab.test.", "corp.example";',
    '  option domain-name "LAB.test. other.example";',
    '  option domain-name-servers 10.0.0.1;',
    '}',
  ].join('\n');
  const r = parsed(text, LATER);
  t.same(r.leases[0]!.domains, ['lab.test', 'other.example', 'corp.example'], 'domain-name first, then the search list');
  t.same(r.warnings, []);
});

t.test('domains: bad names skipped with a warning; no domains, no field', async (t) => {
  const extra = '  option domain-name "bad name!. .";\n  option domain-search "ok.test", "-x.test";\n';
  const text = block('eth0', '10.0.0.1', 'never', extra);
  const r = parsed(text, LATER);
  t.same(r.leases[0]!.domains, ['bad', 'ok.test']);
  t.match(r.warnings, [/line 4: domain "name!\." is not a domain name/, /line 5: domain "-x.test" is not a domain name/]);
  const none = parseDhclient(block('eth0', '10.0.0.1'));
  t.ok(none.ok && !('domains' in none.leases[0]!), 'a lease without domain options has no domains field');
  const v6 = parsed('lease6 {\n  interface "eth0";\n  option dhcp6.domain-search "v6.test.";\n}\n', LATER);
  t.same(v6.leases[0]!.domains, ['v6.test']);
});

/** The one lease of `text` (it must parse to exactly one). */
function only(text: string): { lease: LeaseServers; warnings: readonly string[] } {
  const r = parseDhclient(text);
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  if (r.leases.length !== 1) throw new Error(`expected one lease, got ${r.leases.length}`);
  return { lease: r.leases[0]!, warnings: r.warnings ?? [] };
}

const STARTS = 1795000000;
const v6 = (iaaddrs: string): string =>
  `lease6 {\n  interface "eth0";\n  ia-na 00:00:12:34 {\n    starts ${STARTS};\n${iaaddrs}  }\n  option dhcp6.name-servers 2001:db8::53;\n}\n`;
const iaaddr = (body: string, addr = '2001:db8::100'): string => `    iaaddr ${addr} {\n${body}    }\n`;
const good = iaaddr(`      starts ${STARTS};\n      max-life 600;\n`);

// An address counts toward the expiry only with a numeric start and lifetime: one without must not
// turn the expiry into NaN (no expiry at all) or stretch it.
t.test('lease6 expiry: addresses without a usable starts/max-life are left out', async (t) => {
  const cases: Array<[string, string]> = [
    ['no starts', iaaddr('      max-life 9000;\n', '2001:db8::101')],
    ['no max-life', iaaddr(`      starts ${STARTS};\n`, '2001:db8::101')],
    ['max-life not a number', iaaddr(`      starts ${STARTS};\n      max-life abc;\n`, '2001:db8::101')],
    ['max-life with two values', iaaddr(`      starts ${STARTS};\n      max-life 9000 1;\n`, '2001:db8::101')],
    ['no address', `    iaaddr {\n      starts ${STARTS};\n      max-life 9000;\n    }\n`],
  ];
  for (const [what, other] of cases) {
    t.equal(only(v6(good + other)).lease.expires, (STARTS + 600) * 1000, what);
  }
});

// 0xffffffff is RFC 8415's infinity; a lease6 without addresses has no expiry either (not 1970).
t.test('lease6: an infinite lifetime, or no address, is no expiry', async (t) => {
  const infinite = only(v6(iaaddr(`      starts ${STARTS};\n      max-life 4294967295;\n`))).lease;
  t.equal(infinite.expires, undefined, 'infinite lifetime');
  const none = only('lease6 {\n  interface "eth0";\n  option dhcp6.name-servers 2001:db8::53;\n}\n').lease;
  t.notOk('expires' in none, 'no address');
});

// A statement without its value (`interface;`, `option domain-name;`) is skipped; the lease stays.
t.test('statements missing their value are skipped; the lease is still read', async (t) => {
  const v4 = only('lease {\n  interface;\n  option domain-name;\n  option domain-name-servers 10.0.0.1;\n}\n').lease;
  t.same(v4, { link: '4/', servers: [{ host: '10.0.0.1', port: 53, family: 4 }] });
  const v6only = only('lease6 {\n  interface;\n  option dhcp6.name-servers 2001:db8::53;\n}\n').lease;
  t.same(v6only, { link: '6/', servers: [{ host: '2001:db8::53', port: 53, family: 6 }] });
});

// Only a bare `lease {` or `lease6 {` block is a lease: not dhcpd's `lease ADDR {` (the server's
// file, watched by mistake), not a quoted "lease", not `lease` without a block.
t.test('only a bare lease { } block is a lease', async (t) => {
  const dhcpd = 'lease 192.168.121.10 {\n  starts 3 2026/11/25 10:00:00;\n  binding state active;\n  hardware ethernet 52:54:00:00:12:34;\n}\n';
  t.same(parseDhclient(dhcpd), { ok: false, reason: 'no lease { } block found' }, "dhcpd's lease file");
  const quoted = '"lease" {\n  interface "eth0";\n  option domain-name-servers 10.0.0.1;\n}\n';
  t.same(parseDhclient(quoted), { ok: false, reason: 'no lease { } block found' }, 'a quoted "lease"');
  const r = parseDhclient(`lease;\n${block('eth0', '10.0.0.1')}`);
  t.ok(r.ok && r.leases.length === 1, 'lease; is no lease');
});

// Dates are checked field by field; what Date.UTC would roll over is caught after it (2026/02/30).
t.test('expire dates that are not understood are skipped with a warning', async (t) => {
  const dates = ['epoch abc', 'x 2026/06/01 12:00:00', '1 2026-06-01 12:00:00', '1 2026/06/01 12-00-00', '1 2026/06/01 10:60:00', '1 2026/06/01 10:00:61'];
  // Month, day and hour out of range (what Date.UTC rolls over), and words around the keywords.
  dates.push('1 2026/00/10 10:00:00', '1 2026/13/10 10:00:00', '1 2026/06/00 10:00:00', '1 2026/06/32 10:00:00', '1 2026/06/01 24:00:00');
  dates.push('bogus', 'never 1', 'epoch 1795000000 1', '3 1795000000');
  for (const date of dates) {
    const r = only(block('eth0', '10.0.0.1', date));
    t.equal(r.lease.expires, undefined, date);
    t.match(r.warnings, [new RegExp(`date "${date}" not understood`)], `${date}: warned about`);
  }
  // A second expire line that is not understood leaves the first one's date.
  const twice = only('lease {\n  interface "eth0";\n  option domain-name-servers 10.0.0.1;\n  expire 1 2026/06/01 12:30:00;\n  expire bogus;\n}\n');
  t.equal(twice.lease.expires, Date.parse('2026-06-01T12:30:00Z'), 'the date understood is kept');
});

// Punctuation in quotes, and the bare word `lease` not followed by "{", are values, not syntax.
t.test('quoted punctuation and a bare word "lease" are values', async (t) => {
  const text = 'lease {\n  interface "eth0";\n  option domain-search "}", ",", ";";\n  option user-class lease;\n  option domain-name-servers 10.0.0.1;\n}\n';
  const r = only(text);
  t.same(r.lease.servers, [{ host: '10.0.0.1', port: 53, family: 4 }], 'the block goes on after them');
  t.same(r.warnings, [
    'line 3: domain "}" is not a domain name',
    'line 3: domain "," is not a domain name',
    'line 3: domain ";" is not a domain name',
  ]);
});

// Lenient where a hand-edited file may be: no ";" before "}", a final comment without a newline.
t.test('a last statement without ";" and a comment ending the file are accepted', { timeout: 10_000 }, async (t) => {
  const noSemicolon = only('lease {\n  interface "eth0";\n  option domain-name-servers 10.0.0.1\n}\n');
  t.same(noSemicolon.lease.servers, [{ host: '10.0.0.1', port: 53, family: 4 }], 'no ";" before "}"');
  const comment = only(`${block('eth0', '10.0.0.2')}# written by hand`);
  t.same(comment.lease.servers, [{ host: '10.0.0.2', port: 53, family: 4 }], 'a final comment without newline');
});

// An empty name (like "search ." in resolv.conf) means no domain: skipped without a warning.
t.test('an empty domain-search entry is skipped quietly', async (t) => {
  const r = only('lease {\n  interface "eth0";\n  option domain-search "", "lab.test";\n  option domain-name-servers 10.0.0.1;\n}\n');
  t.same(r.lease.domains, ['lab.test']);
  t.same(r.warnings, []);
});

// Strings keep C-style escapes: \ooo is one character (dhclient writes non-printables that way).
t.test('octal escapes in strings are decoded', async (t) => {
  t.equal(only('lease {\n  interface "a\\142c";\n  option domain-name-servers 10.0.0.1;\n}\n').lease.link, '4/abc');
});
