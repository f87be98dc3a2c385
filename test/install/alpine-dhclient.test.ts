// install.sh --root on an Alpine tree with ISC dhclient (and busybox udhcpc, always there): the
// enter hook goes into the admin's /etc/dhclient-enter-hooks, which ISC's dhclient-script sources.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ALPINE_DHCLIENT } from '../helpers/fake-systems.js';
import { snapshot } from '../helpers/file-tree.js';
import { installedBlock, InstallSandbox, roundTrip } from '../helpers/install-script.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the install tests check file owners that only root can set');

/** What a dhclient-script does: define make_resolv_conf, source the enter hook, then call it. */
function dhclientScriptWrites(hook: string, dir: string): boolean {
  const out = join(dir, 'resolv.conf.written');
  const script = `make_resolv_conf() { echo nameserver 192.168.121.1 >"$OUT"; }\n. "$HOOK"\nmake_resolv_conf\n`;
  spawnSync('sh', ['-c', script], { env: { OUT: out, HOOK: hook, PATH: '/usr/bin:/bin' } });
  return existsSync(out);
}

t.test('Alpine + dhclient: the enter hook is a block in /etc/dhclient-enter-hooks', async (t) => {
  const box = new InstallSandbox(ALPINE_DHCLIENT);
  t.teardown(() => box.remove());
  const r = roundTrip(box, [], (first) => {
    t.equal(first.status, 0, first.stderr);
    t.match(first.stdout, 'alpine (openrc), DHCP: dhclient,udhcpc\n');
    t.match(box.read('etc/passwd'), /\ndnsfwd:x:102:102:dnsfwd DNS forwarder:\/var\/empty:\/sbin\/nologin\n$/, 'first id free as uid and gid');
    t.match(box.read('etc/group'), /\ndhcp:x:101:dhcp\ndnsfwd:x:102:\n$/);
    t.equal(box.read('etc/dhclient-enter-hooks'), `# set by the admin\nnew_host_name=guest\n${installedBlock('dhclient-enter-hook')}`);
    t.notOk(dhclientScriptWrites(join(box.root, 'etc/dhclient-enter-hooks'), box.dir), 'make_resolv_conf does nothing');
    t.equal(box.read('etc/udhcpc/udhcpc.conf'), installedBlock('udhcpc.conf'));
    t.equal(box.read('etc/dnsfwd/resolv.dhcp'), 'nameserver 192.168.121.1\n');
    t.equal(box.read('etc/resolv.conf'), 'nameserver 127.0.0.1\n');
    t.match(snapshot(box.root)['etc/dnsfwd/dnsfwd.yaml'], /^file 0640 0:102 /);
  });
  t.ok(dhclientScriptWrites(join(box.root, 'etc/dhclient-enter-hooks'), box.dir), 'after uninstall, dhclient writes resolv.conf again');
  t.same(r.afterSecond, r.installed, 'a second run changes nothing');
  t.equal(r.uninstall.status, 0, r.uninstall.stderr);
  t.same(r.afterUninstall, r.before, 'uninstall restores the tree byte for byte');
  t.same(box.commandsRun(), []);
});

t.test('Alpine, --dhcp dhclient: udhcpc is left alone', async (t) => {
  const box = new InstallSandbox(ALPINE_DHCLIENT);
  t.teardown(() => box.remove());
  const r = roundTrip(box, ['--dhcp', 'dhclient'], (first) => {
    t.equal(first.status, 0, first.stderr);
    t.match(first.stdout, 'DHCP: dhclient\n');
    const tree = snapshot(box.root);
    t.notOk(tree['etc/udhcpc/'], 'no udhcpc.conf');
    t.notOk(tree['etc/dnsfwd/resolv.dhcp'], 'no resolv.dhcp');
  });
  t.same(r.afterSecond, r.installed);
  t.same(r.afterUninstall, r.before);
});
