// The OpenRC script run by Debian's real openrc-run and supervise-daemon, in a sandbox (private
// mount, PID and network namespaces; /etc, /usr, /var as overlays): the tree install.sh lays out
// for Alpine is put in place, then start (its `need net` met by a stand-in), after which dig
// answers over UDP and TCP with no retry (start_post waits for it), status, `dnsfwd status` over
// the control socket, reload (through the socket, and with control_socket "" by SIGHUP), a reload
// refused on a bad config, a log rotation by the real logrotate with the installed snippet (its
// postrotate `reopen` sends SIGUSR2), and stop; then a start whose daemon cannot bind its TCP
// socket fails at start_post's bound, says so, and leaves no daemon. Debian builds supervise-daemon without capability
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
  /usr/sbin/dnsfwd) if [ -n "$caps" ]; then cmd=$a; a=/usr/bin/setpriv; fi ;;
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
answers() { dig +time=2 +tries=1 "$@" @127.0.0.1 example.com | grep -o 'status: [A-Z]*' || true; }
# Waits (up to 20 s) until FILE has a line with TEXT.
wait_line() { for _ in $(seq 100); do ! grep -qF "$2" "$1" 2>/dev/null || return 0; sleep 0.2; done; return 1; }

# The Alpine tree install.sh laid out, put in place; only this script and a stand-in for net in init.d.
cp -a "$TREE/usr/lib/dnsfwd" /usr/lib/
cp -a "$TREE/usr/sbin/dnsfwd" /usr/sbin/
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
# No retry: started means answering.
echo "@@ answer $(answers +notcp)"
echo "@@ tcp_answer $(answers +tcp)"
daemon() { pgrep -f '^[^ ]*/node --[^ ]* .*/usr/lib/dnsfwd/dnsfwd[.]mjs run' || true; }
pid=$(cat /run/openrc/options/dnsfwd/child_pid)
echo "@@ user $(ps -o user= -p "$pid")"
echo "@@ capeff $(sed -n 's/^CapEff:\\t//p' "/proc/$pid/status")"
echo "@@ errflags $(sed -n 's/^flags:\\t*//p' "/proc/$pid/fdinfo/2")"
step status /etc/init.d/dnsfwd status
echo "@@ socket $(stat -c '%a %U:%G' /run/dnsfwd/control.sock) dir $(stat -c '%a %U:%G' /run/dnsfwd)"
step ctl_status /usr/sbin/dnsfwd status --config /etc/dnsfwd/dnsfwd.yaml
printf 'listen: ["127.0.0.1:53"]\\nroutes:\\n  - zone: vagrant.test\\n    servers: ["127.0.0.2:5353"]\\n' >/etc/dnsfwd/dnsfwd.yaml
step reload /etc/init.d/dnsfwd reload
# control_socket "" (at the next start): the reload checks the file and sends SIGHUP instead.
printf 'control_socket: ""\\n' >>/etc/dnsfwd/dnsfwd.yaml
step signal_reload /etc/init.d/dnsfwd reload
for _ in $(seq 50); do [ "$(grep -c '"msg":"configuration reloaded"' /var/log/dnsfwd.log)" -ge 2 ] && break; sleep 0.1; done
echo "@@ reloads $(grep -c '"msg":"configuration reloaded"' /var/log/dnsfwd.log)"
sed -i '/control_socket/d' /etc/dnsfwd/dnsfwd.yaml
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

# 127.0.0.1:53 taken over TCP: the daemon cannot start (supervise-daemon respawns it in vain).
printf 'listen: ["127.0.0.1:53"]\n' >/etc/dnsfwd/dnsfwd.yaml
echo 'DNSFWD_READY_TIMEOUT=3' >>/etc/conf.d/dnsfwd
mkfifo "$SANDBOX/taken"
node -e 'require("net").createServer().listen(53, "127.0.0.1", () => console.log("up"))' >"$SANDBOX/taken" &
read -r up <"$SANDBOX/taken"
echo "@@ taken $up"
if /etc/init.d/dnsfwd start >"$SANDBOX/busy.out" 2>&1; then echo "@@ busy_start rc=0"; else echo "@@ busy_start rc=$?"; fi
echo "@@ busy_status $(/etc/init.d/dnsfwd status >/dev/null 2>&1; echo $?)"
echo "@@ busy_left $(daemon | wc -l)"
kill $!
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
  t.match(res.get('answer'), /^status: (SERVFAIL|NOERROR|NXDOMAIN)$/, 'then dig over UDP answers on 127.0.0.1:53 at once');
  t.match(res.get('tcp_answer'), /^status: (SERVFAIL|NOERROR|NXDOMAIN)$/, '...and over TCP');
  t.match(r.stdout, /Waiting for dnsfwd to answer/, 'start_post waited');
  t.equal(res.get('user'), 'dnsfwd', 'runs as dnsfwd');
  t.equal(res.get('capeff'), '0000000000000400', 'with CAP_NET_BIND_SERVICE only');
  const args = readFileSync(join(box.dir, 'supervise-daemon.args'), 'utf8');
  t.match(args, /^dnsfwd --start .*--capabilities \^cap_net_bind_service --user dnsfwd:dnsfwd --umask 077 \/usr\/sbin\/dnsfwd -- run --log-file \/var\/log\/dnsfwd\.log --config \/etc\/dnsfwd\/dnsfwd\.yaml/m);
  t.equal(res.get('status'), 'rc=0', 'status: started');
  t.equal(res.get('socket'), '660 dnsfwd:dnsfwd dir 750 dnsfwd:dnsfwd', 'the control socket, for root and the group dnsfwd');
  t.equal(res.get('ctl_status'), 'rc=0', 'dnsfwd status over the socket');
  t.equal(res.get('reload'), 'rc=0');
  t.match(rotated, /"msg":"control socket: reloading configuration"/, 'the reload went through the control socket');
  t.equal(res.get('signal_reload'), 'rc=0', 'with control_socket ""...');
  t.match(rotated, /"msg":"SIGHUP: reloading configuration"/, '...by SIGHUP');
  t.equal(res.get('reloads'), '2', 'the daemon reloaded twice');
  t.notMatch(args, /--signal HUP/, 'supervise-daemon is not asked to signal');
  t.not(res.get('bad_reload'), 'rc=0', 'a reload with a bad config fails');
  t.match(rotated, /"msg":"new configuration rejected: keeping the old one"/, '...the daemon refused it');
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
  const busy = (() => {
    try {
      return readFileSync(join(box.dir, 'busy.out'), 'utf8');
    } catch {
      return '(no output)';
    }
  })();
  t.equal(res.get('taken'), 'up', '127.0.0.1:53 taken over TCP');
  t.not(res.get('busy_start'), 'rc=0', 'a start whose daemon cannot answer fails', { busy, log });
  t.match(busy, /dnsfwd: wait-ready: no answer from 127\.0\.0\.1:53 over (UDP|TCP) within 3 s/, '...saying which address and transport did not answer');
  t.match(busy, /dnsfwd did not answer within 3 s: stopping it/, '...at the bound DNSFWD_READY_TIMEOUT sets');
  t.not(res.get('busy_status'), '0', '...and is not started');
  t.equal(res.get('busy_left'), '0', '...and leaves no daemon');
});
