// Source paths as the config file and --lease-file give them.
import t from 'tap';
import { parseSourcePath } from '../../src/sources/config.js';

t.test('parseSourcePath', async (t) => {
  t.same(parseSourcePath('/var/lib/dhcp/dhclient*.leases'), { ok: true, value: '/var/lib/dhcp/dhclient*.leases' });
  t.same(parseSourcePath('/run/x.lease'), { ok: true, value: '/run/x.lease' });
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
  t.same(parseSourcePath('//var//lib/dhcp/x.leases'), { ok: true, value: '/var/lib/dhcp/x.leases' }, 'slashes folded');
  t.same(parseSourcePath('/var/lib/dhcpcd/', '*.lease'), { ok: true, value: '/var/lib/dhcpcd/*.lease' }, 'a directory: its files of the kind');
  for (const [text, reason] of bad) {
    const r = parseSourcePath(text);
    t.equal(r.ok, false, `"${text}" is rejected`);
    if (!r.ok) t.match(r.reason, reason);
  }
});
