// install.sh --root on an Ubuntu tree with systemd-networkd and systemd-resolved: the resolved
// drop-in turns the stub listener off, resolv.conf becomes a plain file, and --uninstall puts the
// symbolic link to the stub back.
import t from 'tap';
import { UBUNTU_NETWORKD } from '../helpers/fake-systems.js';
import { snapshot } from '../helpers/file-tree.js';
import { InstallSandbox, repoFile, roundTrip } from '../helpers/install-script.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the install tests check file owners that only root can set');

t.test('Ubuntu + networkd + resolved', async (t) => {
  const box = new InstallSandbox(UBUNTU_NETWORKD);
  t.teardown(() => box.remove());
  const r = roundTrip(box, [], (first) => {
    t.equal(first.status, 0, first.stderr);
    t.match(first.stdout, 'ubuntu (systemd), DHCP: networkd, systemd-resolved\n');
    const tree = snapshot(box.root);
    t.equal(box.read('etc/systemd/resolved.conf.d/dnsfwd.conf'), repoFile('config/resolved-dnsfwd.conf'));
    t.match(box.read('etc/systemd/resolved.conf.d/dnsfwd.conf'), /^\[Resolve\]\nDNSStubListener=no\n$/m);
    t.match(tree['etc/systemd/resolved.conf.d/dnsfwd.conf'], /^file 0644 0:0 /);
    t.equal(tree['etc/resolv.conf'], 'file 0644 0:0 "nameserver 127.0.0.1\\n"', 'a plain file replaces the link to the stub');
    t.equal(tree['var/lib/dnsfwd/install/backup/etc/resolv.conf'], 'link -> ../run/systemd/resolve/stub-resolv.conf 0:0');
    t.equal(box.read('etc/systemd/system/dnsfwd.service'), repoFile('systemd/dnsfwd.service'));
    t.equal(box.read('etc/systemd/resolved.conf'), UBUNTU_NETWORKD['etc/systemd/resolved.conf'], 'resolved.conf itself untouched');
    t.notOk(tree['etc/dhcp/'] ?? tree['etc/dhcpcd.exit-hook'], 'no dhclient or dhcpcd glue');
  });
  t.same(r.afterSecond, r.installed, 'a second run changes nothing');
  t.equal(r.uninstall.status, 0, r.uninstall.stderr);
  t.same(r.afterUninstall, r.before, 'uninstall restores the tree, the symbolic link included');
  t.equal(r.afterUninstall['etc/resolv.conf'], 'link -> ../run/systemd/resolve/stub-resolv.conf 0:0');
  t.same(box.commandsRun(), []);
});
