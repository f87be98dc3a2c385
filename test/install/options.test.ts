// install.sh's options and refusals: --distro and --dhcp checked, nothing written through a
// symbolic link that leaves --root, a config the admin had (or edited) kept.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ALPINE_UDHCPC, DEBIAN_DHCLIENT, UBUNTU_NETWORKD } from '../helpers/fake-systems.js';
import { snapshot } from '../helpers/file-tree.js';
import { InstallSandbox } from '../helpers/install-script.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the install tests check file owners that only root can set');

/** A directory standing for the host outside --root. */
function outsideDir(t: { teardown: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-outside-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sandbox(t: { teardown: (f: () => void) => void }, seed: typeof DEBIAN_DHCLIENT): InstallSandbox {
  const box = new InstallSandbox(seed);
  t.teardown(() => box.remove());
  return box;
}

t.test('--distro and --dhcp are checked; os-release decides without --distro', async (t) => {
  const box = sandbox(t, DEBIAN_DHCLIENT);
  let r = box.run('--distro', 'gentoo');
  t.equal(r.status, 1);
  t.match(r.stderr, '--distro gentoo: expected alpine, debian or ubuntu');
  r = box.run('--dhcp', 'dhclient,pump');
  t.equal(r.status, 1);
  t.match(r.stderr, '--dhcp: unknown client pump');
  r = box.run('--uninstall');
  t.equal(r.status, 1);
  t.match(r.stderr, 'nothing to uninstall');
  t.same(readdirSync(join(box.root, 'var/lib')).sort(), ['dhcp', 'dhcpcd'], 'refusals write nothing');
  writeFileSync(join(box.root, 'etc/os-release'), 'ID=plan9\n');
  r = box.run();
  t.equal(r.status, 1);
  t.match(r.stderr, 'use --distro alpine|debian|ubuntu');
  r = box.run('--distro', 'ubuntu', '--dhcp', 'dhcpcd');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, 'ubuntu (systemd), DHCP: dhcpcd\n');
  t.notOk(snapshot(box.root)['etc/dhcp/dhclient-enter-hooks.d/zz-dnsfwd'], 'dhclient left alone');
});

t.test('a directory linked out of --root is refused, and nothing is written there', async (t) => {
  const outside = outsideDir(t);
  writeFileSync(join(outside, 'dhclient.conf'), 'host file\n');
  const { 'etc/dhcp/debug': _d, 'etc/dhcp/dhclient-enter-hooks.d/debug': _e, 'etc/dhcp/dhclient-exit-hooks.d/debug': _x, ...rest } = DEBIAN_DHCLIENT;
  const linked = sandbox(t, { ...rest, 'etc/dhcp': { link: outside } });
  const before = snapshot(linked.root);
  const r = linked.run();
  t.equal(r.status, 1);
  t.match(r.stderr, /\/etc\/dhcp\/dhclient-enter-hooks\.d\/zz-dnsfwd: its directory resolves to .*dnsfwd-outside-[^/]+, outside /);
  t.same(readdirSync(outside), ['dhclient.conf'], 'nothing written outside --root');
  t.same(snapshot(linked.root), before, 'the failed run undid what it did, and left no manifest');
  const u = linked.run('--uninstall');
  t.equal(u.status, 1);
  t.match(u.stderr, 'nothing to uninstall');
});

t.test('resolv.conf as an absolute link: replaced, never written through, restored', async (t) => {
  const hostStub = join(outsideDir(t), 'stub-resolv.conf');
  writeFileSync(hostStub, 'nameserver 127.0.0.53\n');
  const linked = sandbox(t, { ...UBUNTU_NETWORKD, 'etc/resolv.conf': { link: hostStub } });
  const before = snapshot(linked.root);
  t.equal(linked.run().status, 0);
  t.equal(readFileSync(hostStub, 'utf8'), 'nameserver 127.0.0.53\n', 'the link target is untouched');
  t.equal(linked.read('etc/resolv.conf'), 'nameserver 127.0.0.1\n');
  t.equal(linked.run('--uninstall').status, 0);
  t.same(snapshot(linked.root), before);
  t.equal(snapshot(linked.root)['etc/resolv.conf'], `link -> ${hostStub} 0:0`);
});

t.test('an existing config is kept; an edited one survives --uninstall', async (t) => {
  const mine = 'listen: ["127.0.0.1:53"]\n';
  const box = sandbox(t, { ...ALPINE_UDHCPC, 'etc/dnsfwd/dnsfwd.yaml': { text: mine, mode: 0o600 } });
  const before = snapshot(box.root);
  t.equal(box.run().status, 0);
  t.equal(box.read('etc/dnsfwd/dnsfwd.yaml'), mine, 'not overwritten');
  t.equal(box.run('--uninstall').status, 0);
  t.same(snapshot(box.root), before);

  const fresh = sandbox(t, ALPINE_UDHCPC);
  t.equal(fresh.run().status, 0);
  writeFileSync(join(fresh.root, 'etc/dnsfwd/dnsfwd.yaml'), mine);
  const u = fresh.run('--uninstall');
  t.equal(u.status, 0);
  t.match(u.stderr, '/etc/dnsfwd/dnsfwd.yaml was edited: kept');
  t.equal(fresh.read('etc/dnsfwd/dnsfwd.yaml'), mine);
});

t.test('without node in the tree, a warning says how to get it', async (t) => {
  const { 'usr/bin/node': _node, ...seed } = ALPINE_UDHCPC;
  const box = sandbox(t, seed);
  const r = box.run();
  t.equal(r.status, 0);
  t.match(r.stderr, 'usr/bin/node is missing: the service needs Node.js >= 18.19 there (apk add nodejs)');
});
