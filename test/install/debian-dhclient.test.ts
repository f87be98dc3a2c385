// install.sh --root on a Debian 12 tree with dhclient and dhcpcd: systemd unit, the dhclient enter
// hook in dhclient-enter-hooks.d, dhcpcd's exit hook and `nohook resolv.conf`, and the lease file
// dhcpcd already wrote given to the group dnsfwd (and given back by --uninstall).
import t from 'tap';
import { DEBIAN_DHCLIENT } from '../helpers/fake-systems.js';
import { snapshot } from '../helpers/file-tree.js';
import { installedBlock, InstallSandbox, repoFile, roundTrip } from '../helpers/install-script.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the install tests check file owners that only root can set');

t.test('Debian + dhclient + dhcpcd', async (t) => {
  const box = new InstallSandbox(DEBIAN_DHCLIENT);
  t.teardown(() => box.remove());
  const r = roundTrip(box, [], (first) => {
    t.equal(first.status, 0, first.stderr);
    t.match(first.stdout, 'debian (systemd), DHCP: dhclient,dhcpcd\n');
    const tree = snapshot(box.root);
    t.match(box.read('etc/passwd'), /\ndnsfwd:x:101:101:dnsfwd DNS forwarder:\/nonexistent:\/usr\/sbin\/nologin\n$/);
    t.match(box.read('etc/group'), /\ndnsfwd:x:101:\n$/);
    t.match(box.read('etc/gshadow'), /\ndnsfwd:!::\n$/);
    t.match(box.read('etc/shadow'), /\ndnsfwd:!:::::::\n$/);
    t.equal(box.read('etc/systemd/system/dnsfwd.service'), repoFile('systemd/dnsfwd.service'));
    t.match(tree['etc/systemd/system/dnsfwd.service'], /^file 0644 0:0 /);
    t.equal(box.read('etc/dhcp/dhclient-enter-hooks.d/zz-dnsfwd'), repoFile('config/dhclient-enter-hook'));
    t.match(tree['etc/dhcp/dhclient-enter-hooks.d/zz-dnsfwd'], /^file 0644 0:0 /);
    t.equal(box.read('etc/dhcpcd.exit-hook'), installedBlock('dhcpcd.exit-hook'));
    t.equal(box.read('etc/dhcpcd.conf'), `${DEBIAN_DHCLIENT['etc/dhcpcd.conf'] as string}${installedBlock('dhcpcd.conf')}`);
    t.match(tree['var/lib/dhcpcd/eth0.lease'], /^file 0640 0:101 /, 'the lease dhcpcd wrote is readable by the group dnsfwd');
    t.match(tree['etc/dnsfwd/dnsfwd.yaml'], /^file 0640 0:101 /);
    t.equal(tree['etc/resolv.conf'], 'file 0644 0:0 "nameserver 127.0.0.1\\n"');
    t.notOk(tree['etc/systemd/resolved.conf.d/'], 'no systemd-resolved here');
    t.notOk(tree['etc/udhcpc/'], 'udhcpc is not set up on Debian unless asked for');
    t.notOk(tree['etc/init.d/dnsfwd'], 'no OpenRC script');
    t.notOk(tree['etc/logrotate.d/dnsfwd'], 'no logrotate snippet: the journal keeps the lines');
  });
  t.same(r.afterSecond, r.installed, 'a second run changes nothing');
  t.equal(r.uninstall.status, 0, r.uninstall.stderr);
  t.same(r.afterUninstall, r.before, 'uninstall restores the tree byte for byte, the lease owner included');
  t.same(box.commandsRun(), []);
});
