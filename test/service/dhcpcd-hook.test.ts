// dhcpcd's exit hook, sourced as dhcpcd-run-hooks sources it, in a sandbox with a group dnsfwd:
// lease files dhcpcd wrote root:root 0640 go to the group dnsfwd and are touched once (so a
// watcher that could not read them reads them again); files already shared are left alone.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { DEBIAN_DHCLIENT } from '../helpers/fake-systems.js';
import { InstallSandbox } from '../helpers/install-script.js';
import { Sandbox } from '../helpers/sandbox.js';
import { requireTool } from '../helpers/tools.js';

requireTool('groupadd');

const SCRIPT = `
cp "$TREE/etc/dhcpcd.exit-hook" /etc/dhcpcd.exit-hook
groupadd --system dnsfwd
mkdir -p /var/lib/dhcpcd
show() { for f in /var/lib/dhcpcd/*; do echo "@@ $1 $(stat -c '%n %a %U:%G %Y' "$f")"; done; }
for f in eth0.lease "wlan0-My SSID.lease" eth0.lease6 duid; do
  printf 'x' >"/var/lib/dhcpcd/$f"; chmod 0640 "/var/lib/dhcpcd/$f"; touch -d '2001-01-01 00:00:00' "/var/lib/dhcpcd/$f"
done
# dhcpcd-run-hooks: reason and interface set, hooks sourced in one shell
run_hooks() { reason=BOUND interface=eth0; . /etc/dhcpcd.exit-hook; }
run_hooks; show first
touch -d '2001-01-01 00:00:00' /var/lib/dhcpcd/eth0.lease
run_hooks; show second
`;

t.test('the dhcpcd exit hook gives new lease files to the group dnsfwd, once', async (t) => {
  const tree = new InstallSandbox(DEBIAN_DHCLIENT);
  t.teardown(() => tree.remove());
  t.equal(tree.run().status, 0, 'install.sh --root laid out the Debian tree');
  t.match(readFileSync(`${tree.root}/etc/dhcpcd.exit-hook`, 'utf8'), /^find \/var\/lib\/dhcpcd /m);
  const box = new Sandbox('the dhcpcd hook test');
  t.teardown(() => box.remove());
  const r = box.run(SCRIPT, { TREE: tree.root });
  t.equal(r.status, 0, 'the sandbox script ran to its end', { stdout: r.stdout, stderr: r.stderr });
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('@@ '));
  const old = String(Date.UTC(2001, 0, 1) / 1000);
  const line = (round: string, name: string) => lines.find((l) => l.startsWith(`@@ ${round} /var/lib/dhcpcd/${name} `)) ?? '';
  t.match(line('first', 'eth0.lease'), / 640 root:dnsfwd \d+$/);
  t.notMatch(line('first', 'eth0.lease'), new RegExp(` ${old}$`), 'touched after its group changed');
  t.match(line('first', 'wlan0-My SSID.lease'), / 640 root:dnsfwd /, 'a name with a space');
  t.match(line('first', 'eth0.lease6'), / 640 root:dnsfwd /, 'DHCPv6 leases too');
  t.equal(line('first', 'duid'), `@@ first /var/lib/dhcpcd/duid 640 root:root ${old}`, 'other files are not leases');
  t.equal(line('second', 'eth0.lease'), `@@ second /var/lib/dhcpcd/eth0.lease 640 root:dnsfwd ${old}`, 'a shared lease is not touched again');
});
