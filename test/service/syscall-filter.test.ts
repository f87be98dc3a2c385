// Everything the daemon does, traced with strace in a sandbox (start, the readiness notification
// through systemd-notify, UDP and TCP queries, a lease change, SIGHUP, SIGUSR1, `dnsfwd status`
// and `reload` over the control socket, SIGTERM; once with --workers 2), and the `reload` that
// ExecReload runs (over the socket, and its check-and-SIGHUP without one), stay within the unit's
// SystemCallFilter= and RestrictAddressFamilies=; and V8 does map memory writable and executable
// (why the unit cannot set MemoryDenyWriteExecute=). systemd's side of the notification is
// systemd-socket-activate's datagram socket, whose first message starts a `cat` that records what
// arrives.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Sandbox } from '../helpers/sandbox.js';
import { allowedSyscalls, directive } from '../helpers/systemd-unit.js';
import { BIN, requireBuild, requireTool } from '../helpers/tools.js';

requireBuild();
for (const tool of ['strace', 'dig', 'systemd-analyze', 'systemd-notify', 'systemd-socket-activate']) requireTool(tool);

const CONFIG = (dir: string) => `listen: ["127.0.0.1:53", "0.0.0.0:5300", "[::1]:53"]
default:
  sources:
    - kind: dhclient
      path: ${dir}/leases/dhclient*.leases
  servers: ["127.0.0.1:5301"]
`;

const LEASE = 'lease {\n  interface "eth0";\n  fixed-address 192.168.121.168;\n  option domain-name-servers 192.168.121.1,192.168.121.2;\n  expire never;\n}\n';

/** Runs the daemon under strace through its life; WORKERS is "" or "--workers 2". */
const SCRIPT = `
export DNSFWD_NODE="$NODE" # bin/dnsfwd runs this node
unset NODE_OPTIONS # the test runner adds its loaders to every child node
ip addr add 192.168.121.50/24 dev lo
mkdir -p "$SANDBOX/leases"
printf '%s' "$LEASE" >"$SANDBOX/leases/dhclient.eth0.leases"
systemd-socket-activate --datagram -l "$SANDBOX/notify.sock" sh -c "exec cat <&3 >'$SANDBOX/notify.msg'" 2>/dev/null &
activator=$!
for _ in $(seq 100); do [ -S "$SANDBOX/notify.sock" ] && break; sleep 0.05; done
# The control socket at its default path, /run/dnsfwd/control.sock: this sandbox's own /run.
NOTIFY_SOCKET="$SANDBOX/notify.sock" strace -f -qq -o "$SANDBOX/trace$WORKERS" "$BIN" run --config "$SANDBOX/dnsfwd.yaml" $WORKERS >"$SANDBOX/daemon.log" 2>&1 &
tracer=$!
for _ in $(seq 100); do dig +time=1 +tries=1 @127.0.0.1 -p 5300 example.com >/dev/null 2>&1 && break; sleep 0.1; done
dig +time=2 +tries=1 @127.0.0.1 example.com >/dev/null || true
dig +tcp +time=2 +tries=1 @127.0.0.1 web.service.consul >/dev/null || true
pid=$(pgrep -o -f "^$NODE .*dnsfwd[.]mjs run")
for _ in $(seq 100); do [ -S /run/dnsfwd/control.sock ] && break; sleep 0.1; done
kill -HUP "$pid"; sleep 0.5
kill -USR1 "$pid"; sleep 0.5
# The commands, and what ExecReload runs: over the socket, then without one (check, then SIGHUP).
"$BIN" status --config "$SANDBOX/dnsfwd.yaml" >"$SANDBOX/status.out"
"$BIN" flush --config "$SANDBOX/dnsfwd.yaml" >/dev/null
strace -f -qq -o "$SANDBOX/trace-reload$WORKERS" "$BIN" reload --pid "$pid" --config "$SANDBOX/dnsfwd.yaml" >"$SANDBOX/reload.out"
strace -f -qq -o "$SANDBOX/trace-signal$WORKERS" "$BIN" reload --pid "$pid" --config "$SANDBOX/dnsfwd.yaml" --control-socket "" >"$SANDBOX/signal.out"
sleep 0.5
printf '%s' "$LEASE" | sed 's/192.168.121.2/192.168.121.3/' >>"$SANDBOX/leases/dhclient.eth0.leases"; sleep 0.5
dig +time=2 +tries=1 @127.0.0.1 example.org >/dev/null || true
# systemd-notify waits for its message to be read (the barrier): the last thing it sends is BARRIER=1.
for _ in $(seq 100); do grep -q BARRIER=1 "$SANDBOX/notify.msg" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$pid"
wait "$tracer"
kill "$activator" 2>/dev/null || true
`;

/**
 * System call names in an strace -f log ("PID name(...", not "<... name resumed>"). strace names a
 * stop with a negative call number `syscall_0xffff…`: no system call was made, so no filter is
 * involved (seen once, with --workers 2, in one run of the whole suite).
 */
function tracedCalls(trace: string): Set<string> {
  return new Set([...trace.matchAll(/^\d+ +([a-z0-9_]+)\(/gm)].map((m) => m[1]!).filter((c) => !/^syscall_0xffffffff/.test(c)));
}

for (const workers of ['', '--workers 2']) {
  t.test(`the daemon's system calls are within the unit's filter${workers ? ` (${workers})` : ''}`, async (t) => {
    const box = new Sandbox('the system call test');
    t.teardown(() => box.remove());
    writeFileSync(join(box.dir, 'dnsfwd.yaml'), CONFIG(box.dir));
    const r = box.run(SCRIPT, { LEASE, WORKERS: workers, NODE: process.execPath, BIN });
    const log = readFileSync(join(box.dir, 'daemon.log'), 'utf8');
    t.equal(r.status, 0, 'the sandbox script ran to its end', { stderr: r.stderr, log });
    t.match(log, /"msg":"configuration reloaded"/, 'SIGHUP was handled');
    t.match(log, /"msg":"cache statistics"/, 'SIGUSR1 was handled');
    t.match(log, /"msg":"control socket: reloading configuration"/, 'a reload over the socket was handled');
    t.match(log, /"msg":"cache flushed"/, 'a flush over the socket was handled');
    t.ok(readFileSync(join(box.dir, 'status.out'), 'utf8').length > 0, 'status printed something');
    t.equal(readFileSync(join(box.dir, 'reload.out'), 'utf8'), `reloaded ${box.dir}/dnsfwd.yaml\n`, 'ExecReload\'s reload over the socket');
    t.match(readFileSync(join(box.dir, 'signal.out'), 'utf8'), /^sent SIGHUP to \d+ /, 'and without a socket');
    const status = workers ? '2 workers answering' : 'answering on 127.0.0.1:53, 0.0.0.0:5300, [::1]:53';
    t.equal(readFileSync(join(box.dir, 'notify.msg'), 'utf8'), `READY=1\nSTATUS=${status}BARRIER=1`, 'systemd-notify said it was ready');
    const trace = ['', '-reload', '-signal'].map((kind) => readFileSync(join(box.dir, `trace${kind}${workers}`), 'utf8')).join('');
    const calls = tracedCalls(trace);
    t.ok(calls.has('epoll_wait') || calls.has('epoll_pwait'), 'the trace has the event loop');
    t.match(trace, /^\d+ +execve\("[^"]*\/systemd-notify", \["systemd-notify", "--ready"/m, 'the trace has systemd-notify');
    const allowed = allowedSyscalls();
    t.same([...calls].filter((c) => !allowed.has(c)).sort(), [], 'every system call is allowed');
    const families = new Set([...trace.matchAll(/socket(?:pair)?\((AF_[A-Z0-9]+)/g)].map((m) => m[1]!));
    const restricted = new Set(directive('RestrictAddressFamilies').join(' ').split(/\s+/));
    t.same([...families].filter((f) => !restricted.has(f)).sort(), [], `socket families ${[...families].join(' ')} are allowed`);
    t.ok(families.has('AF_NETLINK'), 'the 0.0.0.0 listener lists the host addresses over netlink');
    t.match(trace, /PROT_WRITE\|PROT_EXEC/, 'V8 maps memory writable and executable');
  });
}
