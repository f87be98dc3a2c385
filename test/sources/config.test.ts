// Source paths as the config file and --lease-file give them; comparing source lists (a reload
// restarts the sources only when they differ).
import t from 'tap';
import { parseSourceFlag, sameSources, SOURCE_MAX_BYTES, type SourceConfig } from '../../src/sources/config.js';

/** The path of a `--lease-file` dhclient source, as the flag (and a config entry) reads it. */
const pathOf = (text: string) => {
  const r = parseSourceFlag(text);
  return r.ok ? { ok: true as const, value: r.value.path } : r;
};

t.test('source paths: absolute, no . or .., * only in the file name, a directory stands for its files', async (t) => {
  t.same(pathOf('/var/lib/dhcp/dhclient*.leases'), { ok: true, value: '/var/lib/dhcp/dhclient*.leases' });
  t.same(pathOf('/run/x.lease'), { ok: true, value: '/run/x.lease' });
  const bad: Array<[string, RegExp]> = [
    ['var/lib/dhcp/x.leases', /absolute/],
    ['./x.leases', /absolute/],
    ['/var/lib/*/dhclient.leases', /only in the file name/],
    ['/', /the root directory is not a source/],
    ['/..', /"\." and "\.\." are not allowed/],
    ['/.', /"\." and "\.\." are not allowed/],
    ['/tmp/x/.', /"\." and "\.\." are not allowed/],
    ['/var/lib/../lib/dhcp/dhclient.leases', /"\." and "\.\." are not allowed/],
  ];
  t.same(pathOf('//var//lib/dhcp/x.leases'), { ok: true, value: '/var/lib/dhcp/x.leases' }, 'slashes folded');
  t.same(pathOf('dhcpcd:/var/lib/dhcpcd/'), { ok: true, value: '/var/lib/dhcpcd/*.lease' }, 'a directory: its files of the kind');
  t.same(pathOf('/var/lib/dhcp/'), { ok: true, value: '/var/lib/dhcp/dhclient*.leases' }, 'dhclient: dhclient*.leases');
  t.same(pathOf('networkd:/run/systemd/netif/leases/'), { ok: true, value: '/run/systemd/netif/leases/*' }, 'networkd: every file');
  t.same(pathOf('resolvconf:/run/dnsfwd/'), { ok: true, value: '/run/dnsfwd/*.conf' }, 'resolvconf: *.conf');
  for (const [text, reason] of bad) {
    const r = pathOf(text);
    t.equal(r.ok, false, `"${text}" is rejected`);
    if (!r.ok) t.match(r.reason, reason);
  }
});

// Any difference (one more source, another kind, path or optional flag) means the sources differ.
t.test('sameSources', async (t) => {
  const a: SourceConfig = { kind: 'dhclient', path: '/var/lib/dhcp/dhclient*.leases', optional: true };
  const b: SourceConfig = { kind: 'networkd', path: '/run/systemd/netif/leases/*', optional: true };
  t.ok(sameSources([a, b], [{ ...a }, { ...b }]), 'equal lists');
  t.notOk(sameSources([a], [a, b]), 'a source more');
  t.notOk(sameSources([a, b], [a]), 'a source less');
  t.notOk(sameSources([a], [{ ...a, kind: 'resolvconf' }]), 'another kind');
  t.notOk(sameSources([a], [{ ...a, path: '/var/lib/dhclient/dhclient*.leases' }]), 'another path');
  t.notOk(sameSources([a], [{ ...a, optional: false }]), 'another optional flag');
  t.notOk(sameSources([a], [{ ...a, maxBytes: 4096 }]), 'another size cap');
  t.ok(sameSources([a], [{ ...a, maxBytes: SOURCE_MAX_BYTES }]), 'the default cap written out is the same');
});
