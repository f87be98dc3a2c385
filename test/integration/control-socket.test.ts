// The control socket's file and the commands' failures, against the built daemon: a changed
// control_socket waits for the next start, mode 0660 and the owner under --user, a missing
// directory made, each error line of the client (ENOENT, ECONNREFUSED, EACCES, control_socket
// ""), no socket with "", a stale file replaced at start, a second daemon on a live one refused.
import { lstatSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { idsOf, staleSocket } from '../helpers/control.js';
import { runDnsfwd, startDnsfwd, tempControlSocket } from '../helpers/daemon.js';
import { freePort } from '../helpers/ports.js';
import { requireTool } from '../helpers/tools.js';

const LISTEN = '127.0.73.11';
const dir = t.testdir({});
/** A config listening on a free port, with nothing to follow. */
const config = async () => `listen: ["${LISTEN}:${await freePort(LISTEN)}"]\ndefault: {sources: []}\n`;
const file = join(dir, 'dnsfwd.yaml');
writeFileSync(file, await config());
const daemon = await startDnsfwd(['--config', file]);
t.teardown(() => daemon.stop());
const socket = daemon.controlSocket!;

/** `dnsfwd ARGS --control-socket SOCKET` to completion. */
const command = (args: string[], path = socket) => runDnsfwd([...args, '--control-socket', path]);

t.test('a changed control_socket takes effect at the next start; the socket in use stays', async (t) => {
  const path = tempControlSocket();
  const base = await config();
  const own = join(dir, 'own.yaml');
  const text = (at: string) => base + `control_socket: ${at}\n`;
  writeFileSync(own, text(path));
  const d = await startDnsfwd(['--config', own], { controlSocket: null });
  t.teardown(() => d.stop());
  t.equal((await runDnsfwd(['status', '--config', own])).code, 0, 'a command finds the socket in the config file');
  const elsewhere = join(dir, 'elsewhere.sock');
  writeFileSync(own, text(elsewhere));
  const r = await runDnsfwd(['reload', '--control-socket', path]);
  t.equal(r.code, 0, r.stderr);
  t.ok(d.logs.some((l) => l.msg === 'control_socket changed: it takes effect at the next start' && l.now === path && l.configured === elsewhere), 'logged');
  t.equal((await runDnsfwd(['status', '--control-socket', path])).code, 0, 'the socket in use still answers');
  t.throws(() => lstatSync(elsewhere), { code: 'ENOENT' }, 'none at the new path');
});

t.test('the socket: mode 0660 whatever the umask, owned by the user dnsfwd becomes', async (t) => {
  t.equal(statSync(socket).mode & 0o777, 0o660, 'the shared daemon (root, no --user)');
  const sub = join(dir, 'rundir');
  const path = join(sub, 'control.sock');
  const d = await startDnsfwd(['--listen', `${LISTEN}:${await freePort(LISTEN)}`, '--lease-file', '/nonexistent/x.leases', '--user', 'nobody'], {
    controlSocket: path,
    prefix: ['sh', '-c', 'umask 000; exec "$@"', 'sh'],
  });
  t.teardown(() => d.stop());
  const st = statSync(path);
  const ids = idsOf('nobody');
  t.same([st.mode & 0o777, st.uid, st.gid], [0o660, ids.uid, ids.gid], 'nobody and its group, 0660 under umask 000');
  const dirSt = statSync(sub);
  t.same([dirSt.mode & 0o777, dirSt.uid, dirSt.gid], [0o750, ids.uid, ids.gid], 'the missing directory was made for it');
  t.equal((await runDnsfwd(['status', '--control-socket', path])).code, 0, 'root can use it');
  t.equal(await d.stop(), 0);
  t.throws(() => lstatSync(path), { code: 'ENOENT' }, 'removed at shutdown, after dropping privileges');
});

t.test('client errors: one line naming the socket, exit 1', async (t) => {
  const missing = join(dir, 'missing.sock');
  const none = await command(['status'], missing);
  t.same([none.code, none.stdout, none.stderr], [1, '', `dnsfwd: no daemon answers on ${missing} (ENOENT): is dnsfwd running? (--control-socket PATH to use another)\n`]);

  const stale = await staleSocket(join(dir, 'stale.sock'));
  const refused = await command(['flush'], stale);
  t.same([refused.code, refused.stderr], [1, `dnsfwd: no daemon answers on ${stale} (ECONNREFUSED): is dnsfwd running? (--control-socket PATH to use another)\n`]);

  requireTool('setpriv');
  const denied = await runDnsfwd(['status', '--control-socket', socket], { prefix: ['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups'] });
  t.same([denied.code, denied.stderr], [1, `dnsfwd: permission denied on ${socket} (EACCES): run as root or as a member of group root\n`], 'not root, not in the group');

  const off = join(dir, 'off.yaml');
  writeFileSync(off, 'control_socket: ""\n');
  const noSocket = await runDnsfwd(['reload', '--config', off]);
  t.same([noSocket.code, noSocket.stderr], [1, `dnsfwd: no control socket: control_socket is "" in ${off} (--control-socket PATH to name one)\n`]);
});

t.test('control_socket "": the daemon makes no socket', async (t) => {
  const off = join(dir, 'no-socket.yaml');
  writeFileSync(off, (await config()) + 'control_socket: ""\n');
  const d = await startDnsfwd(['--config', off], { controlSocket: null });
  t.teardown(() => d.stop());
  t.notOk(d.logs.some((l) => l.msg === 'control socket ready'), 'no socket');
  t.equal(await d.stop(), 0, 'and it stops cleanly');
});

t.test('a stale socket file is replaced at start; a second daemon on a live socket is refused', async (t) => {
  const path = await staleSocket(join(dir, 'left-behind.sock'));
  const d = await startDnsfwd(['--listen', `${LISTEN}:${await freePort(LISTEN)}`, '--lease-file', '/nonexistent/x.leases'], { controlSocket: path });
  t.teardown(() => d.stop());
  t.equal((await runDnsfwd(['status', '--control-socket', path])).code, 0, 'the new daemon answers on it');

  const second = await runDnsfwd(['run', '--listen', `${LISTEN}:${await freePort(LISTEN)}`, '--lease-file', '/nonexistent/x.leases', '--control-socket', path]);
  t.equal(second.code, 1);
  t.match(second.stderr, `dnsfwd: another dnsfwd is listening on ${path}: stop it, or give this one another control_socket (--control-socket PATH)\n`);
  t.equal((await runDnsfwd(['status', '--control-socket', path])).code, 0, 'the first still answers');
});

