// Each kind of source, on its client's real files, written the way that client writes them:
// dhcpcd rewrites its binary lease in place, networkd renames into place and deletes the file
// when the link goes down, udhcpc's script writes a resolv.conf file and renames it into place.
import { mkdtemp, open, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parseSourceFlag, type SourceKind } from '../../src/sources/config.js';
import { createSource } from '../../src/sources/kinds.js';
import { captureLog, LEVEL } from '../helpers/logger.js';
import { nextChange, show } from '../helpers/sources.js';
import { fixture as anyFixture } from '../helpers/tools.js';

const fixture = (name: string) => anyFixture(`dhcp/${name}`);

async function watch(t: Test, kind: SourceKind, files: Record<string, Buffer | string>) {
  const dir = await mkdtemp(join(tmpdir(), `dnsfwd-${kind}-`));
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  // A directory source (`KIND:DIR/`) stands for the files that kind's client writes there.
  const flag = parseSourceFlag(kind === 'resolvconf' ? `${kind}:${join(dir, 'resolv.dhcp')}` : `${kind}:${dir}/`);
  if (!flag.ok) throw new Error(flag.reason);
  const path = flag.value.path;
  const log = captureLog();
  const src = createSource({ kind, path, optional: false }, log.logger);
  t.teardown(async () => {
    await src.close();
    await rm(dir, { recursive: true, force: true });
  });
  await src.start();
  return { dir, src, log };
}

t.test('dhcpcd: the raw DHCPACK, rewritten in place on renewal; the domain routes to its servers', async (t) => {
  const { dir, src } = await watch(t, 'dhcpcd', { 'eth0.lease': fixture('dhcpcd-9.4.1-debian12_lp-g.lease_raw-DHCPACK_2dns.bin'), duid: 'x' });
  t.same(show(src.servers()), ['192.168.121.1:53', '192.168.121.2:53']);
  t.same(src.leases().map((l) => l.domains), [['lab.test']]);
  const changed = nextChange(src);
  const handle = await open(join(dir, 'eth0.lease'), 'r+'); // O_TRUNC-style rewrite of the same inode
  await handle.truncate(0);
  await handle.write(fixture('dhcpcd-9.4.1-debian12_lp-g.lease_raw-DHCPACK_after-renew-dns-changed.bin'), 0, undefined, 0);
  await handle.close();
  t.same(await changed, ['192.168.121.2:53']);
});

t.test('networkd: renamed into place; deleted when the link goes down, and its servers go', async (t) => {
  const lease = fixture('systemd-networkd-252_run-systemd-netif-leases-2_2dns.env');
  const { dir, src } = await watch(t, 'networkd', { '3': lease.toString().replace(/^DNS=.*$/m, 'DNS=10.3.0.1') });
  t.same(show(src.servers()), ['10.3.0.1:53']);
  let changed = nextChange(src);
  await writeFile(join(dir, '.#2abcdef'), lease);
  await rename(join(dir, '.#2abcdef'), join(dir, '2'));
  t.same(await changed, ['192.168.121.1:53', '192.168.121.2:53', '10.3.0.1:53'], 'the new link, files in name order');
  t.same(src.leases().map((l) => l.domains), [['lab.test'], ['lab.test']]);
  changed = nextChange(src);
  await unlink(join(dir, '2'));
  t.same(await changed, ['10.3.0.1:53'], "the link is gone, and so are its servers");
});

t.test('resolvconf (udhcpc): a temporary file renamed into place; deleted, the last servers stay', async (t) => {
  const { dir, src, log } = await watch(t, 'resolvconf', { 'resolv.dhcp': fixture('udhcpc-busybox-1.35_custom-script_dns.lp-g.conf') });
  t.same(show(src.servers()), ['192.168.121.1:53', '192.168.121.2:53']);
  t.same(src.leases().map((l) => l.domains), [['lab.test']]);
  const changed = nextChange(src);
  await writeFile(join(dir, 'resolv.dhcp.tmp.123'), 'search lab.test\nnameserver 192.168.121.2\n');
  await rename(join(dir, 'resolv.dhcp.tmp.123'), join(dir, 'resolv.dhcp'));
  t.same(await changed, ['192.168.121.2:53']);
  const since = log.lines.length;
  await unlink(join(dir, 'resolv.dhcp'));
  // The warning comes after the read that found the file gone: the servers are decided by then.
  const warning = await log.next((l) => l.level === LEVEL.warn && l.msg === 'source file unusable; keeping the last good servers', since);
  t.match(warning, { reason: /deleted/ });
  t.same(show(src.servers()), ['192.168.121.2:53'], 'kept');
});
