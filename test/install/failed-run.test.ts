// A failed install.sh run undoes what it changed, newest first, as --uninstall would: a first run
// leaves the tree as it found it, with no manifest; a later run that fails leaves the manifest
// (and the tree) as the last good run left them, so --uninstall still undoes that one. The step
// that fails here is udhcpc's: /etc/udhcpc/udhcpc.conf is a directory, not a file.
import t from 'tap';
import { DEBIAN_DHCLIENT } from '../helpers/fake-systems.js';
import { snapshot } from '../helpers/file-tree.js';
import { InstallSandbox } from '../helpers/install-script.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the install tests check file owners that only root can set');

const SEED = { ...DEBIAN_DHCLIENT, 'etc/udhcpc/udhcpc.conf': { dir: true } } as const;
const MANIFEST = 'var/lib/dnsfwd/install/manifest';

t.test('a first run that fails late leaves the tree as it was, and no manifest', async (t) => {
  const box = new InstallSandbox(SEED);
  t.teardown(() => box.remove());
  const before = snapshot(box.root);
  const r = box.run('--dhcp', 'dhclient,dhcpcd,udhcpc');
  t.equal(r.status, 1);
  t.match(r.stderr, '/etc/udhcpc/udhcpc.conf is not a regular file');
  t.match(r.stderr, 'the install failed: undoing what this run changed');
  // What it had done by then: the account, the files, dhclient's hook, dhcpcd's blocks and lease.
  for (const done of ['added to /etc/passwd', 'created /usr/lib/dnsfwd/dnsfwd.mjs', 'added a dnsfwd block to /etc/dhcpcd.conf', 'gave /var/lib/dhcpcd/eth0.lease to the group dnsfwd', 'created /etc/dnsfwd/resolv.dhcp']) {
    t.match(r.stdout, done, `it had ${done}`);
  }
  t.match(r.stdout, 'removed from /etc/passwd: dnsfwd:x:');
  t.same(snapshot(box.root), before, 'every change undone: passwd, dhcpcd.conf, the lease owner, no /var/lib/dnsfwd');
  const u = box.run('--uninstall');
  t.equal(u.status, 1);
  t.match(u.stderr, 'nothing to uninstall');
  t.same(box.commandsRun(), []);
});

t.test('a later run that fails undoes only its own changes', async (t) => {
  const box = new InstallSandbox(SEED);
  t.teardown(() => box.remove());
  const before = snapshot(box.root);
  const good = box.run('--dhcp', 'dhcpcd');
  t.equal(good.status, 0, good.stderr);
  const installed = snapshot(box.root);
  const manifest = box.read(MANIFEST);
  const r = box.run('--dhcp', 'dhcpcd,dhclient,udhcpc');
  t.equal(r.status, 1);
  t.match(r.stdout, 'created /etc/dhcp/dhclient-enter-hooks.d/zz-dnsfwd', 'it had set up dhclient');
  t.match(r.stdout, 'removed /etc/dhcp/dhclient-enter-hooks.d/zz-dnsfwd');
  t.equal(box.read(MANIFEST), manifest, 'the manifest of the good run, as it was');
  t.same(snapshot(box.root), installed, 'the tree as the good run left it');
  const u = box.run('--uninstall');
  t.equal(u.status, 0, u.stderr);
  t.same(snapshot(box.root), before, '--uninstall still undoes the good run');
});
