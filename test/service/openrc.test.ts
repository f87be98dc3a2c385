// The OpenRC script run by Debian's real openrc-run and supervise-daemon, in a sandbox (private
// mount, PID and network namespaces; /etc, /usr, /var as overlays): the tree install.sh lays out
// for Alpine is put in place, then start (its `need net` met by a stand-in), status, reload,
// a reload refused on a bad config, a log rotation by the real logrotate with the installed
// snippet (its postrotate `reopen` sends SIGUSR2), and stop. Debian builds supervise-daemon without capability
// support, so a wrapper checks that openrc-run asks for ^cap_net_bind_service and applies it with
// setpriv as Alpine's supervise-daemon does (ambient + inheritable), then runs Debian's binary.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ALPINE_UDHCPC } from '../helpers/fake-systems.js';
import { InstallSandbox } from '../helpers/install-script.js';
import { Sandbox } from '../helpers/sandbox.js';
import { requireTool } from '../helpers/tools.js';

for (const tool of ['openrc-run', 'supervise-daemon', 'setpriv', 'dig', 'useradd', 'groupadd', 'logrotate']) requireTool(tool);

/**
 * Stands in for supervise-daemon: logs its arguments to ARGS_LOG, turns `--capabilities ^cap_X
 * --user U:G ... NODE -- ARGS` into `--user`-less `setpriv -- --reuid U --regid G --init-groups
 * --inh-caps +X --ambient-caps +X NODE ARGS`, then runs Debian's binary. openrc-run clears the
 * environment, so the paths are written in.
 */
function superviseWrapper(argsLog: string): string {
  return `#!/bin/sh
printf '%s\\n' "$*" >>'${argsLog}'
caps= user= n=$# i=0 cmd=
while [ $i -lt $n ]; do
  a=$1; shift; i=$((i + 1))
  case "$a" in
  --capabilities) caps=$1; shift; i=$((i + 1)); continue ;;
  --user) user=$1; shift; i=$((i + 1)); continue ;;
  /usr/bin/node) if [ -n "$caps" ]; then cmd=$a; a=/usr/bin/setpriv; fi ;;
  --) if [ -n "$cmd" ]; then
        c=$(echo "$caps" | sed 's/^\\^cap_//')
        set -- "$@" -- "--reuid=\${user%%:*}" "--regid=\${user#*:}" --init-groups "--inh-caps=+$c" "--ambient-caps=+$c" "$cmd"
        cmd=; continue
      fi ;;
  esac
  set -- "$@" "$a"
done
[ -z "$user" ] || [ -n "$caps" ] || set -- "$@" --user "$user"
exec /usr/sbin/supervise-daemon.debian "$@"
`;
}

const NET_STAND_IN = `#!/sbin/openrc-run
description="Stands for the network dnsfwd needs"
depend() { provide net; }
start() { ebegin "Network (stand-in)"; eend 0; }
`;

const SCRIPT = `
step() { name=$1; shift; if "$@"; then echo "@@ $name rc=0"; else echo "@@ $name rc=$?"; fi; }
answers() { dig +time=2 +tries=1 @127.0.0.1 example.com | grep -o 'status: [A-Z]*' || true; }
wait_answer() { for _ in $(seq 50); do [ -z "$(answers)" ] || return 0; sleep 0.2; done; return 1; }
# Waits (up to 20 s) until FILE has a line with TEXT.
wait_line() { for _ in $(seq 100); do ! grep -qF "$2" "$1" 2>/dev/null || return 0; sleep 0.2; done; return 1; }

# The Alpine tree install.sh laid out, put in place; only this script and a stand-in for net in init.d.
cp -a "$TREE/usr/lib/dnsfwd" /usr/lib/
cp -a "$TREE/etc/dnsfwd" /etc/
mkdir -p /etc/conf.d /etc/runlevels
mount -t tmpfs tmpfs /etc/init.d
mount -t tmpfs tmpfs /etc/runlevels
cp -a "$TREE/etc/init.d/dnsfwd" /etc/init.d/
cp -a "$TREE/etc/conf.d/dnsfwd" /etc/conf.d/
mkdir -p /etc/logrotate.d
cp -a "$TREE/etc/logrotate.d/dnsfwd" /etc/logrotate.d/
printf '%s' "$NET_STAND_IN" >/etc/init.d/net && chmod 755 /etc/init.d/net
[ -x /usr/bin/node ] || ln -s "$DNSFWD_NODE_BINARY" /usr/bin/node
groupadd --system dnsfwd
useradd --system --gid dnsfwd --no-create-home --shell /usr/sbin/nologin dnsfwd
chgrp dnsfwd /etc/dnsfwd/dnsfwd.yaml
cp /usr/sbin/supervise-daemon /usr/sbin/supervise-daemon.debian
printf '%s' "$SUPERVISE_WRAPPER" >/usr/sbin/supervise-daemon
chmod 755 /usr/sbin/supervise-daemon
# OpenRC's state directory as its boot leaves it.
for d in daemons exclusive failed hotplugged inactive options scheduled started starting stopping tmp wasinactive; do
  mkdir -p /run/openrc/$d
done
touch /run/openrc/softlevel

echo "@@ depend"; /lib/rc/sh/gendepends.sh 2>/dev/null | grep '^dnsfwd '
step start /etc/init.d/dnsfwd start
step answering wait_answer
echo "@@ answer $(answers)"
daemon() { pgrep -f '^/usr/bin/node .*/usr/lib/dnsfwd/dnsfwd[.]mjs run' || true; }
pid=$(cat /run/openrc/options/dnsfwd/child_pid)
echo "@@ user $(ps -o user= -p "$pid")"
echo "@@ capeff $(sed -n 's/^CapEff:\\t//p' "/proc/$pid/status")"
echo "@@ errflags $(sed -n 's/^flags:\\t*//p' "/proc/$pid/fdinfo/2")"
step status /etc/init.d/dnsfwd status
printf 'listen: ["127.0.0.1:53"]\\nroutes:\\n  - zone: vagrant.test\\n    servers: ["127.0.0.2:5353"]\\n' >/etc/dnsfwd/dnsfwd.yaml
step reload /etc/init.d/dnsfwd reload
sleep 1
printf 'listen: [oops\\n' >>/etc/dnsfwd/dnsfwd.yaml
step bad_reload /etc/init.d/dnsfwd reload
echo "@@ same_pid $([ "$(daemon)" = "$pid" ] && echo yes || echo no)"
echo "@@ still $(answers)"
# The installed snippet, run by logrotate: the file moves to dnsfwd.log.1, a new one is created
# for dnsfwd, and its postrotate (rc-service ... reopen) has dnsfwd write there.
step rotate logrotate -f -s /run/logrotate.state /etc/logrotate.d/dnsfwd
step reopened wait_line /var/log/dnsfwd.log '"msg":"log file reopened"'
echo "@@ newlog $(stat -c '%a %U:%G' /var/log/dnsfwd.log)"
step stats env RC_SVCNAME=dnsfwd supervise-daemon dnsfwd --signal USR1
step stats_in_new wait_line /var/log/dnsfwd.log '"msg":"cache statistics"'
step stop /etc/init.d/dnsfwd stop
sleep 0.5
echo "@@ left $(daemon | wc -l)"
`;

/** The lines after "@@ " in the script's output, by their first word. */
function results(stdout: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^@@ (\S+) ?(.*)$/.exec(line);
    if (m) map.set(m[1]!, m[2]!);
  }
  return map;
}

t.test('openrc-run starts, reloads and stops the installed service as dnsfwd with cap_net_bind_service', async (t) => {
  const tree = new InstallSandbox(ALPINE_UDHCPC);
  t.teardown(() => tree.remove());
  t.equal(tree.run().status, 0, 'install.sh --root laid out the Alpine tree');
  const box = new Sandbox('the OpenRC test');
  t.teardown(() => box.remove());
  const r = box.run(SCRIPT, {
    TREE: tree.root,
    NET_STAND_IN,
    SUPERVISE_WRAPPER: superviseWrapper(join(box.dir, 'supervise-daemon.args')),
    DNSFWD_NODE_BINARY: process.execPath,
  });
  const res = results(r.stdout);
  const read = (path: string) => {
    try {
      return readFileSync(box.upper(path), 'utf8');
    } catch {
      return '(no log)';
    }
  };
  const rotated = read('var/log/dnsfwd.log.1');
  const log = read('var/log/dnsfwd.log');
  const context = { stdout: r.stdout, stderr: r.stderr, rotated, log };
  t.equal(r.status, 0, 'the sandbox script ran to its end', context);
  t.match(r.stdout, /^dnsfwd ineed net$/m, 'depend(): need net');
  t.match(r.stdout, /^dnsfwd iprovide dns$/m, 'depend(): provide dns');
  t.equal(res.get('start'), 'rc=0', 'start', context);
  t.equal(res.get('answering'), 'rc=0', 'answers on 127.0.0.1:53');
  t.match(res.get('answer'), /^status: (SERVFAIL|NOERROR|NXDOMAIN)$/);
  t.equal(res.get('user'), 'dnsfwd', 'runs as dnsfwd');
  t.equal(res.get('capeff'), '0000000000000400', 'with CAP_NET_BIND_SERVICE only');
  const args = readFileSync(join(box.dir, 'supervise-daemon.args'), 'utf8');
  t.match(args, /^dnsfwd --start .*--capabilities \^cap_net_bind_service --user dnsfwd:dnsfwd --umask 077 \/usr\/bin\/node -- --max-semi-space-size=1 --single-threaded \/usr\/lib\/dnsfwd\/dnsfwd\.mjs run --log-file \/var\/log\/dnsfwd\.log --config \/etc\/dnsfwd\/dnsfwd\.yaml/m);
  t.match(args, /^dnsfwd --signal HUP$/m, 'reload sends SIGHUP through supervise-daemon');
  t.equal(res.get('status'), 'rc=0', 'status: started');
  t.equal(res.get('reload'), 'rc=0');
  t.match(rotated, /"msg":"configuration reloaded"/, 'the daemon reloaded (logged before the rotation)');
  t.not(res.get('bad_reload'), 'rc=0', 'a reload with a bad config fails');
  t.equal(args.match(/--signal HUP/g)?.length, 1, '...and sends no signal');
  t.equal(res.get('same_pid'), 'yes', '...and leaves the daemon running');
  t.equal(res.get('still'), res.get('answer'), '...and answering');
  t.ok((parseInt(res.get('errflags') ?? '0', 8) & 0o2000) !== 0, 'stderr (DNSFWD_ERR_LOG) is open with O_APPEND: copytruncate is safe', context);
  t.equal(res.get('rotate'), 'rc=0', 'logrotate -f with the installed snippet', context);
  t.match(args, /^dnsfwd --signal USR2$/m, 'its postrotate sent SIGUSR2 through supervise-daemon');
  t.equal(res.get('reopened'), 'rc=0', 'dnsfwd reopened the log file', context);
  t.equal(res.get('newlog'), '640 dnsfwd:dnsfwd', 'the new file, created by logrotate for the service user');
  t.equal(res.get('stats_in_new'), 'rc=0', 'a later line (SIGUSR1\'s statistics) lands in the new file', context);
  t.notMatch(rotated, /"msg":"log file reopened"/, 'the rotated file got no line after the reopen');
  t.notMatch(rotated, /"msg":"cache statistics"/, '...nor the later one');
  t.equal(res.get('stop'), 'rc=0');
  t.equal(res.get('left'), '0', 'stopped');
});
