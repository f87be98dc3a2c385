// install.sh without --root, on this Debian host inside a sandbox (overlays on /etc, /usr, /var):
// the account made with groupadd and useradd, systemctl asked to enable and start the unit (a stub
// that remembers), a second run that changes nothing and starts nothing, and --uninstall that
// disables the unit, removes the account and leaves /etc as it was. Then the same as Alpine would
// see it (--distro alpine): busybox's addgroup/adduser and OpenRC's rc-update/rc-service, stubs
// that log their arguments and do the work with this host's tools.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { INSTALL_SH } from '../helpers/install-script.js';
import { Sandbox } from '../helpers/sandbox.js';
import { requireTool } from '../helpers/tools.js';

for (const tool of ['useradd', 'groupadd']) requireTool(tool);

/** systemctl as far as install.sh needs it: enable/disable remembered, every call logged. */
const SYSTEMD_COMMANDS: Record<string, string> = {
  systemctl: 'case "$1" in enable) touch "$STATE.enabled" ;; disable) rm -f "$STATE.enabled" ;; is-enabled | is-active) [ -e "$STATE.enabled" ] ;; esac',
};

/** Alpine's commands, logged, done with Debian's tools; rc-update and rc-service remember. */
const ALPINE_COMMANDS: Record<string, string> = {
  addgroup: 'groupadd --system "$2"',
  adduser: 'for a; do name=$a; done; useradd --system --gid dnsfwd --no-create-home --shell /sbin/nologin "$name"',
  deluser: 'userdel "$1"',
  delgroup: 'groupdel "$1"',
  'rc-update': 'case "$1" in add) mkdir -p /etc/runlevels/default && touch /etc/runlevels/default/dnsfwd ;; del) rm /etc/runlevels/default/dnsfwd ;; esac',
  'rc-service': 'case "$2" in restart) touch "$STATE.running" ;; stop) rm -f "$STATE.running" ;; status) [ -e "$STATE.running" ] ;; esac',
};

function stubs(commands: Record<string, string>): string {
  return Object.entries(commands)
    .map(([name, body]) => `cat >"$SANDBOX/bin/${name}" <<'STUB'\n#!/bin/sh\necho "${name} $*" >>"$LOG"\n${body}\nSTUB\n`)
    .join('');
}

const SCRIPT = `
mkdir -p "$SANDBOX/bin"
printf '%s' "$STUBS" >"$SANDBOX/stubs.sh"
. "$SANDBOX/stubs.sh"
for f in "$SANDBOX"/bin/*; do sed -i "s|\\$LOG|$SANDBOX/commands.log|; s|\\$STATE|$SANDBOX/state|g" "$f"; chmod 755 "$f"; done
[ -x /usr/bin/node ] || ln -s "$NODE" /usr/bin/node
PATH="$SANDBOX/bin:$PATH"
state() { cd /etc && find passwd group shadow gshadow resolv.conf systemd dhcp dhcpcd.conf dhcpcd.exit-hook dnsfwd init.d/dnsfwd conf.d udhcpc runlevels -xdev 2>/dev/null | sort | while read -r f; do
  if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; elif [ -f "$f" ]; then echo "$f $(stat -c '%a %U:%G' "$f") $(sha256sum <"$f" | cut -c1-16)"; else echo "$f/"; fi
done; }
state >"$SANDBOX/before"
echo "@@ first"; sh "$INSTALL_SH" $ARGS
echo "@@ user $(id -un dnsfwd):$(id -gn dnsfwd) $(getent passwd dnsfwd | cut -d: -f6,7)"
echo "@@ config $(stat -c '%a %U:%G' /etc/dnsfwd/dnsfwd.yaml)"
echo "@@ resolv $(cat /etc/resolv.conf)"
echo "@@ second"; sh "$INSTALL_SH" $ARGS
echo "@@ uninstall"; sh "$INSTALL_SH" --uninstall $ARGS
echo "@@ gone $(getent passwd dnsfwd || echo no-user) $(getent group dnsfwd || echo no-group)"
state >"$SANDBOX/after"
`;

/** Runs SCRIPT in a fresh sandbox with these stubs and install.sh arguments: each step's output, the commands run, /etc before and after. */
function runSandboxed(t: Test, stubbed: Parameters<typeof stubs>[0], args: string) {
  const box = new Sandbox('the system-mode install test');
  t.teardown(() => box.remove());
  const r = box.run(SCRIPT, { STUBS: stubs(stubbed), INSTALL_SH, NODE: process.execPath, ARGS: args });
  t.equal(r.status, 0, 'the sandbox script ran to its end', { stdout: r.stdout, stderr: r.stderr });
  return {
    at: (step: string) => r.stdout.split('@@ ').find((s) => s.startsWith(step)) ?? '',
    commands: readFileSync(join(box.dir, 'commands.log'), 'utf8').trim().split('\n'),
    before: readFileSync(join(box.dir, 'before'), 'utf8'),
    after: readFileSync(join(box.dir, 'after'), 'utf8'),
  };
}

t.test('install.sh on the system itself (Debian, systemd), in a sandbox', async (t) => {
  const { at, commands, before, after } = runSandboxed(t, SYSTEMD_COMMANDS, '--dhcp dhclient,dhcpcd');
  t.match(at('first'), 'created group dnsfwd\n');
  t.match(at('first'), 'created user dnsfwd\n');
  t.match(at('user'), /^user dnsfwd:dnsfwd \/nonexistent:\/usr\/sbin\/nologin/);
  t.match(at('config'), /^config 640 root:dnsfwd/);
  t.equal(at('resolv').trim(), 'resolv nameserver 127.0.0.1');
  t.match(at('second'), 'nothing to change');
  t.match(at('gone'), /^gone no-user no-group/);
  t.same(commands, [
    'systemctl daemon-reload',
    'systemctl is-enabled --quiet dnsfwd.service',
    'systemctl enable dnsfwd.service',
    'systemctl restart dnsfwd.service',
    'systemctl is-enabled --quiet dnsfwd.service',
    'systemctl is-active --quiet dnsfwd.service',
    'systemctl stop dnsfwd.service',
    'systemctl disable dnsfwd.service',
    'systemctl daemon-reload',
  ], 'enabled and started once; a second run starts nothing; uninstall stops, disables, reloads');
  t.equal(after, before, '/etc as it was');
});

t.test('install.sh on the system itself as Alpine (OpenRC, busybox), in a sandbox', async (t) => {
  const { at, commands, before, after } = runSandboxed(t, ALPINE_COMMANDS, '--distro alpine --dhcp udhcpc');
  t.match(at('user'), /^user dnsfwd:dnsfwd /);
  t.match(at('config'), /^config 640 root:dnsfwd/);
  t.match(at('second'), 'nothing to change');
  t.match(at('gone'), /^gone no-user no-group/);
  t.same(commands, [
    'addgroup -S dnsfwd',
    'adduser -S -D -H -h /var/empty -s /sbin/nologin -G dnsfwd -g dnsfwd DNS forwarder dnsfwd',
    'rc-update add dnsfwd default',
    'rc-service dnsfwd restart',
    'rc-service dnsfwd status',
    'rc-service dnsfwd stop',
    'rc-update del dnsfwd default',
    'deluser dnsfwd',
  ], 'busybox account commands; enabled and started once; uninstall stops, disables, deletes');
  t.equal(after, before, '/etc as it was');
});
