// install.sh --root on an Alpine tree with busybox udhcpc: OpenRC service, account lines written
// into etc/, udhcpc told to write /etc/dnsfwd/resolv.dhcp (seeded from the old resolv.conf).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { ALPINE_UDHCPC } from '../helpers/fake-systems.js';
import { snapshot } from '../helpers/file-tree.js';
import { installedBlock, InstallSandbox, repoFile, roundTrip } from '../helpers/install-script.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the install tests check file owners that only root can set');

/** RESOLV_CONF as Alpine's udhcpc script sees it: its default, then udhcpc.conf sourced. */
function udhcpcResolvConf(conf: string): string {
  const script = 'RESOLV_CONF="/etc/resolv.conf"\n[ -f "$CONF" ] && . "$CONF"\nprintf %s "$RESOLV_CONF"';
  return spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { CONF: conf } }).stdout;
}

t.test('Alpine + udhcpc: installs, changes nothing the second time, uninstalls to the original', async (t) => {
  const box = new InstallSandbox(ALPINE_UDHCPC);
  t.teardown(() => box.remove());
  const r = roundTrip(box, [], (first) => {
    t.equal(first.status, 0, first.stderr);
    t.match(first.stdout, 'alpine (openrc), DHCP: udhcpc\n');
    const tree = snapshot(box.root);
    t.match(box.read('etc/passwd'), /\nnobody:[^\n]*\ndnsfwd:x:100:100:dnsfwd DNS forwarder:\/var\/empty:\/sbin\/nologin\n$/);
    t.match(box.read('etc/group'), /\nnobody:x:65534:\ndnsfwd:x:100:\n$/);
    t.match(box.read('etc/shadow'), /\ndnsfwd:!:::::::\n$/);
    t.equal(box.read('etc/init.d/dnsfwd'), repoFile('openrc/dnsfwd'));
    t.match(tree['etc/init.d/dnsfwd'], /^file 0755 0:0 /);
    t.equal(box.read('etc/conf.d/dnsfwd'), repoFile('openrc/dnsfwd.confd'));
    t.match(tree['etc/conf.d/dnsfwd'], /^file 0644 0:0 /);
    t.equal(box.read('etc/logrotate.d/dnsfwd'), repoFile('openrc/dnsfwd.logrotate'), 'the logrotate snippet');
    t.match(tree['etc/logrotate.d/dnsfwd'], /^file 0644 0:0 /);
    t.equal(box.read('etc/dnsfwd/dnsfwd.yaml'), repoFile('config/dnsfwd.yaml'));
    t.match(tree['etc/dnsfwd/dnsfwd.yaml'], /^file 0640 0:100 /, 'the config is readable by the group dnsfwd only');
    t.equal(box.read('usr/lib/dnsfwd/dnsfwd.mjs'), repoFile('dist/dnsfwd.mjs'));
    t.match(tree['usr/lib/dnsfwd/dnsfwd.mjs'], /^file 0644 0:0 /);
    t.equal(box.read('usr/lib/dnsfwd/dnsfwd-program.mjs'), repoFile('dist/dnsfwd-program.mjs'), 'the program the first step loads');
    t.match(tree['usr/lib/dnsfwd/dnsfwd-program.mjs'], /^file 0644 0:0 /);
    t.equal(box.read('usr/sbin/dnsfwd'), repoFile('bin/dnsfwd'), 'the dnsfwd command on the PATH, the one entry');
    t.match(tree['usr/sbin/dnsfwd'], /^file 0755 0:0 /);
    t.equal(box.read('etc/udhcpc/udhcpc.conf'), `NO_GATEWAY="eth1"\n${installedBlock('udhcpc.conf')}`);
    t.equal(udhcpcResolvConf(join(box.root, 'etc/udhcpc/udhcpc.conf')), '/etc/dnsfwd/resolv.dhcp', 'what the udhcpc script writes to');
    t.equal(box.read('etc/dnsfwd/resolv.dhcp'), 'search lab.test\nnameserver 192.168.121.1\nnameserver 192.168.121.2\n');
    t.equal(tree['etc/resolv.conf'], 'file 0644 0:0 "nameserver 127.0.0.1\\n"');
    t.notOk(tree['etc/dhclient-enter-hooks'], 'no dhclient hook');
    t.notOk(tree['etc/systemd/'], 'nothing for systemd');
    t.match(tree['var/lib/dnsfwd/install/'], /^dir 0700 0:0/);
  });
  t.equal(r.second.status, 0, r.second.stderr);
  t.match(r.second.stdout, 'nothing to change');
  t.same(r.afterSecond, r.installed, 'a second run changes nothing, not even a modification time');
  t.equal(r.uninstall.status, 0, r.uninstall.stderr);
  t.same(r.afterUninstall, r.before, 'uninstall restores the tree byte for byte');
  t.same(box.commandsRun(), [], 'no service manager or account command ran');
  t.equal(udhcpcResolvConf(join(box.root, 'etc/udhcpc/udhcpc.conf')), '/etc/resolv.conf', 'after uninstall, udhcpc writes resolv.conf again');
});
