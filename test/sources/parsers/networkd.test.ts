// The networkd lease parser on the captured networkd 252 files and the JSON form, then on edge cases.
import t from 'tap';
import { parseNetworkd } from '../../../src/sources/parsers/networkd.js';
import { hosts, oneLease as ok } from '../../helpers/lease.js';
import { fixture as anyFixture } from '../../helpers/tools.js';

const fixture = (name: string): string => anyFixture(`dhcp/${name}`).toString('utf8');
const SERVERS = ['192.168.121.1:53', '192.168.121.2:53'];

t.test('captured networkd 252 lease files (KEY=value)', async (t) => {
  for (const name of [
    'systemd-networkd-252_run-systemd-netif-leases-2_2dns.env',
    // UseDNS=no + DNS=127.0.0.1 changes the link's servers, not the lease file.
    'systemd-networkd-252_leases-2_with-UseDNS=no+DNS=127.0.0.1.env',
  ]) {
    const r = ok(parseNetworkd(fixture(name)));
    t.same(hosts(r), SERVERS, name);
    t.same(parseNetworkd(fixture(name)), { ok: true, leases: [{ link: '4', servers: r.lease.servers, domains: ['lab.test'] }], warnings: [] });
  }
});

t.test('captured link state files are not lease files', async (t) => {
  for (const name of [
    'systemd-networkd-252_run-systemd-netif-links-2.env',
    'systemd-networkd-252_links-2_with-UseDNS=no+DNS=127.0.0.1.env',
  ]) {
    t.same(parseNetworkd(fixture(name)), {
      ok: false,
      reason: 'a networkd link state file (it has ADMIN_STATE=), not a lease file: watch /run/systemd/netif/leases/*',
    }, name);
  }
});

t.test('the JSON form (hand-written from systemd main dhcp_lease_append_json)', async (t) => {
  const text = fixture('systemd-networkd-json_leases-2_2dns_hand-written.json');
  const r = ok(parseNetworkd(text));
  t.same(hosts(r), SERVERS, 'byte arrays under Servers.DNS');
  t.same(parseNetworkd(text), { ok: true, leases: [{ link: '4', servers: r.lease.servers, domains: ['lab.test'] }], warnings: [] });
});

t.test('JSON: strings, IPv6 bytes, top-level DNS, search lists, duplicates, bad entries', async (t) => {
  const v6 = [32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53];
  const json = {
    Address: [10, 0, 0, 5],
    Servers: { DNS: ['10.0.0.1', v6, [10, 0, 0, 1], [10, 0, 0], [10, 0, 0, 256], 'ns.example', 7, '10.0.0.2:53'], NTP: [[10, 0, 0, 9]] },
    Domain_Name: 'Corp.Example.',
    Domain_Search_List: ['lab.test', 'corp.example', 'bad name!'],
  };
  const r = ok(parseNetworkd(JSON.stringify(json, null, 2)));
  t.same(hosts(r), ['10.0.0.1:53', '[2001:db8::53]:53']);
  t.same(r.lease.domains, ['corp.example', 'lab.test']);
  t.same(r.warnings, [
    'Servers.DNS[3]: [10,0,0] is not an IP address',
    'Servers.DNS[4]: [10,0,0,256] is not an IP address',
    'Servers.DNS[5]: "ns.example" is not an IP address',
    'Servers.DNS[6]: 7 is not an IP address',
    'Servers.DNS[7]: "10.0.0.2:53" is not an IP address',
    'Domain_Name/Domain_Search_List: domain "bad name!" is not a domain name',
  ]);
  const top = ok(parseNetworkd('{"DNS":["2001:db8::1",[192,0,2,1]]}'));
  t.same(hosts(top), ['[2001:db8::1]:53', '192.0.2.1:53'], 'a top-level "DNS" list');
  const noDns = ok(parseNetworkd('{"Address":[10,0,0,5],"Servers":{"NTP":[[10,0,0,9]]}}'));
  t.same(noDns.lease.servers, [], 'a lease without DNS servers');
  const notList = ok(parseNetworkd('{"Address":[10,0,0,5],"Servers":{"DNS":"10.0.0.1"},"Domain_Search_List":"a.test"}'));
  t.same(notList.warnings, ['Domain_Search_List is not a list of strings', 'Servers.DNS is not a list']);
});

t.test('JSON: cut off, not an object, not a lease', async (t) => {
  const whole = fixture('systemd-networkd-json_leases-2_2dns_hand-written.json');
  t.match(parseNetworkd(whole.slice(0, 120)), { ok: false, reason: /^not valid JSON \(cut off\?\): / });
  t.match(parseNetworkd('{'), { ok: false, reason: /^not valid JSON/ });
  t.match(parseNetworkd('  {"Address":[1,2,3,4]} extra'), { ok: false, reason: /^not valid JSON/ });
  t.same(parseNetworkd('{"Hostname":"x"}'), {
    ok: false,
    reason: 'no "Address" or "Servers" in the JSON: not a networkd lease file',
  });
});

t.test('KEY=value: search list, IPv6, quotes, duplicates, bad values', async (t) => {
  const text = [
    '# This is private data. Do not parse.',
    '; another comment',
    'ADDRESS=10.0.0.5',
    'DNS=10.0.0.1 not-an-ip  10.0.0.2 10.0.0.1 2001:db8::53 10.0.0.3:5353',
    'DOMAINNAME="Lab.Test."',
    'DOMAIN_SEARCH_LIST=corp.example lab.test -bad.test',
    'garbage line',
    'HOSTNAME=lpguest',
  ].join('\n');
  const r = ok(parseNetworkd(text));
  t.same(hosts(r), ['10.0.0.1:53', '10.0.0.2:53', '[2001:db8::53]:53']);
  t.same(r.lease.domains, ['lab.test', 'corp.example'], 'DOMAINNAME unquoted, then DOMAIN_SEARCH_LIST, each once');
  t.same(r.warnings, [
    'line 7: not a KEY=value line',
    'line 4: nameserver "not-an-ip" is not an IP address',
    'line 4: nameserver "10.0.0.3:5353" is not an IP address',
    'DOMAINNAME/DOMAIN_SEARCH_LIST: domain "-bad.test" is not a domain name',
  ]);
  const noDns = ok(parseNetworkd('ADDRESS=10.0.0.5\nDOMAINNAME=\n'));
  t.same(noDns.lease.servers, [], 'a lease without DNS= is a lease with no servers');
  t.notOk('domains' in noDns.lease, 'an empty DOMAINNAME= is no domain');
  t.same(parseNetworkd('ADDRESS=10.0.0.5\n'), { ok: true, leases: [{ link: '4', servers: [] }], warnings: [] });
});

t.test('garbage and empty files are failures with a reason', async (t) => {
  t.same(parseNetworkd(''), { ok: false, reason: 'empty file' });
  t.same(parseNetworkd('# This is private data. Do not parse.\n'), {
    ok: false,
    reason: 'no ADDRESS= or DNS= line: not a networkd lease file',
  });
  t.match(parseNetworkd('nameserver 10.0.0.1\n'), { ok: false, reason: /not a networkd lease file/ });
  const binary = String.fromCharCode(...Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256));
  t.match(parseNetworkd(binary), { ok: false, reason: String });
  t.match(parseNetworkd('[1,2,3]'), { ok: false, reason: /not a networkd lease file/ });
});

// A lease file needs an address or servers: either alone will do (in both forms).
t.test('a lease with only an address, or only servers, is a lease', async (t) => {
  t.same(parseNetworkd('{"Address":[10,0,0,5]}'), { ok: true, leases: [{ link: '4', servers: [] }], warnings: [] }, 'JSON: Address only');
  t.same(hosts(ok(parseNetworkd('{"Servers":{"DNS":[[10,0,0,1]]}}'))), ['10.0.0.1:53'], 'JSON: Servers only');
  t.same(hosts(ok(parseNetworkd('DNS=10.0.0.1\n'))), ['10.0.0.1:53'], 'KEY=value: DNS= only');
});

// Values of the wrong JSON type are skipped (with a warning where the field matters), never thrown on.
t.test('JSON: fields of the wrong type are skipped, not thrown on', async (t) => {
  const servers = ok(parseNetworkd('{"Address":[10,0,0,5],"Servers":"10.0.0.1","DNS":["10.0.0.2"]}'));
  t.same(hosts(servers), ['10.0.0.2:53'], '"Servers" not an object: the top-level "DNS" is read');
  const fallback = ok(parseNetworkd('{"Address":[10,0,0,5],"Servers":{"NTP":[[10,0,0,9]]},"DNS":["10.0.0.3"]}'));
  t.same(hosts(fallback), ['10.0.0.3:53'], 'no "Servers.DNS": the top-level "DNS" is read');
  const name = ok(parseNetworkd('{"Address":[10,0,0,5],"Domain_Name":5}'));
  t.notOk('domains' in name.lease, 'a Domain_Name that is not a string is no domain');
  const search = ok(parseNetworkd('{"Address":[10,0,0,5],"Domain_Search_List":["a.test",5]}'));
  t.notOk('domains' in search.lease);
  t.same(search.warnings, ['Domain_Search_List is not a list of strings']);
  const noDns = ok(parseNetworkd('{"Address":[10,0,0,5],"Servers":{"NTP":[[10,0,0,9]]}}'));
  t.same(noDns.warnings, [], 'no DNS at all is no warning');
});

// Addresses as byte arrays: 4 or 16 integers from 0 to 255; the checks matter where the text would still parse.
t.test('JSON: byte arrays that are not 4 or 16 bytes of 0 to 255 are not addresses', async (t) => {
  const v6 = [32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53];
  const bad = [['10', '0', '0', '1'], [...v6.slice(0, 15), 256], [...v6.slice(0, 15), -1], [...v6.slice(0, 15), 0.5], [...v6, 1], { length: 4 }];
  const r = ok(parseNetworkd(JSON.stringify({ Address: [10, 0, 0, 5], Servers: { DNS: [...bad, v6] } })));
  t.same(hosts(r), ['[2001:db8::53]:53']);
  t.same(r.warnings, bad.map((b, i) => `Servers.DNS[${i}]: ${JSON.stringify(b)} is not an IP address`));
});

// An empty DNS= is no servers, and nothing to warn about.
t.test('KEY=value: an empty DNS= is no server and no warning', async (t) => {
  t.same(parseNetworkd('ADDRESS=10.0.0.5\nDNS=\n'), { ok: true, leases: [{ link: '4', servers: [] }], warnings: [] });
});
