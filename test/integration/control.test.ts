// The control socket against the built daemon: `dnsfwd status|explain|flush|reload` over it (the
// plumbing; what status and explain say is tested with them), flush really empties the cache,
// reload applies a good file and refuses a bad one (exit 2, FILE:LINE:COL, the old config kept),
// every way a command can fail to reach the daemon, the socket's mode, owner and stale file, a
// second daemon on the same socket, malformed requests, and a cluster of two workers.
import { spawn } from 'node:child_process';
import { lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { runDnsfwd, startDnsfwd, tempControlSocket, type DaemonProcess } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';
import { requireTool } from '../helpers/tools.js';

const LISTEN = '127.0.73.1';
const UP = '127.0.73.2';
const OTHER = '127.0.73.3';

const soa = {
  name: 'example.test',
  type: 6,
  class: 1,
  ttl: 3600,
  primary: 'ns.example.test',
  admin: 'admin.example.test',
  serial: 1,
  refresh: 3600,
  retry: 600,
  expiration: 86400,
  minimum: 60,
};

const upPort = await freePort(UP);
const up = await startFake({
  address: UP,
  port: upPort,
  answer: (name) => (name.startsWith('nx') ? { answers: [], authorities: [soa as never], rcode: 3 } : { answers: [aRecord(name, '10.73.0.1', 300)] }),
});
t.teardown(() => up.close());
const otherPort = await freePort(OTHER);
const other = await startFake({ address: OTHER, port: otherPort, answer: (name) => ({ answers: [aRecord(name, '10.73.0.2', 300)] }) });
t.teardown(() => other.close());

const dir = t.testdir({});
const port = await freePort(LISTEN);
/** A config: example.test to UP, the rest to OTHER; with `withOther`, other.test to UP too. */
const config = (withOther: boolean) =>
  [
    `listen: ["${LISTEN}:${port}"]`,
    'routes:',
    `  - {zone: example.test, servers: ["${UP}:${upPort}"]}`,
    ...(withOther ? [`  - {zone: other.test, servers: ["${UP}:${upPort}"]}`] : []),
    `default: {sources: [], servers: ["${OTHER}:${otherPort}"]}`,
    '',
  ].join('\n');
const file = join(dir, 'dnsfwd.yaml');
writeFileSync(file, config(false));

const daemon = await startDnsfwd(['--config', file]);
t.teardown(() => daemon.stop());
const socket = daemon.controlSocket!;

/** `dnsfwd ARGS --control-socket SOCKET` to completion. */
const command = (args: string[], path = socket) => runDnsfwd([...args, '--control-socket', path]);

t.test('status and explain: the daemon answers with a JSON object (--json), and in text', async (t) => {
  const status = await command(['status', '--json']);
  t.equal(status.code, 0, status.stderr);
  t.equal(status.stderr, '');
  t.ok(typeof JSON.parse(status.stdout) === 'object', 'status --json: a JSON object');
  t.equal((await command(['status'])).code, 0, 'status in text');
  const explain = await command(['explain', 'www.example.test', 'AAAA', '--json']);
  t.equal(explain.code, 0, explain.stderr);
  t.ok(typeof JSON.parse(explain.stdout) === 'object', 'explain --json: a JSON object');
  t.equal((await command(['explain', 'www.example.test'])).code, 0, 'explain in text, type A');
  const bad = await command(['explain', 'a..b']);
  t.equal(bad.code, 2, 'a bad name is bad usage');
  t.equal(bad.stderr, 'dnsfwd: explain: "name" "a..b": each label must be 1 to 63 characters\n');
});

t.test('flush: all answers or those under a zone, with how many; the next query goes upstream', async (t) => {
  for (const name of ['a.example.test', 'b.sub.example.test', 'nx1.example.test', 'c.elsewhere.test']) await dig(LISTEN, port, name);
  for (const name of ['a.example.test', 'b.sub.example.test', 'nx1.example.test']) await dig(LISTEN, port, name);
  t.equal(up.count('a.example.test'), 1, 'cached');
  t.equal(up.count('nx1.example.test'), 1, 'the NXDOMAIN is cached too');
  const sub = await command(['flush', 'sub.example.test']);
  t.same([sub.code, sub.stdout, sub.stderr], [0, 'flushed 1 answer\n', '']);
  await dig(LISTEN, port, 'a.example.test');
  t.equal(up.count('a.example.test'), 1, 'a.example.test was not under sub.example.test: still cached');
  await dig(LISTEN, port, 'b.sub.example.test');
  t.equal(up.count('b.sub.example.test'), 2, 'b.sub.example.test went upstream again');
  const zone = await command(['flush', 'Example.Test.']);
  t.same([zone.code, zone.stdout], [0, 'flushed 3 answers\n'], 'a.example.test, b.sub (again) and the NXDOMAIN');
  await dig(LISTEN, port, 'nx1.example.test');
  t.equal(up.count('nx1.example.test'), 2, 'the negative answer went too');
  const all = await command(['flush']);
  t.same([all.code, all.stdout], [0, 'flushed 2 answers\n'], 'all: nx1.example.test again, and c.elsewhere.test of the default route');
  await dig(LISTEN, port, 'c.elsewhere.test');
  t.equal(other.count('c.elsewhere.test'), 2, 'the default route\'s answer went too');
  t.equal((await command(['flush'])).stdout, 'flushed 1 answer\n', 'only that one left');
  t.equal((await command(['flush'])).stdout, 'flushed 0 answers\n', 'nothing left');
  t.ok(daemon.logs.some((l) => l.msg === 'cache flushed' && l.zone === 'sub.example.test' && l.entries === 1), 'logged');
});

t.test('reload: a good file is applied and says so; a bad one is refused with FILE:LINE:COL, the old kept', async (t) => {
  t.same((await dig(LISTEN, port, 'x.other.test')).answers.map((a) => a.data), ['10.73.0.2'], 'other.test: the default route');
  writeFileSync(file, config(true));
  const ok = await command(['reload']);
  t.same([ok.code, ok.stdout, ok.stderr], [0, `reloaded ${file}\n`, '']);
  t.same((await dig(LISTEN, port, 'y.other.test')).answers.map((a) => a.data), ['10.73.0.1'], 'the new route answers at once');
  t.ok(daemon.logs.some((l) => l.msg === 'control socket: reloading configuration' && l.file === file), 'logged');

  writeFileSync(file, config(true).replace('routes:', 'routes:\n  - {zone: bad.test, servers: ["nope"]}'));
  const bad = await command(['reload']);
  t.equal(bad.code, 2, 'exit 2');
  t.equal(bad.stdout, '');
  t.match(bad.stderr, new RegExp(`^dnsfwd: ${file}:3:\\d+: routes\\[0\\]\\.servers\\[0\\]: "nope": not an IP address.*\\n$`));
  t.same((await dig(LISTEN, port, 'z.other.test')).answers.map((a) => a.data), ['10.73.0.1'], 'still answering with the old config');

  writeFileSync(file, 'listen: [\n');
  const broken = await command(['reload', '--config', file]);
  t.equal(broken.code, 2, 'YAML that does not parse: the daemon says where');
  t.match(broken.stderr, new RegExp(`^dnsfwd: ${file}:\\d+:\\d+: invalid YAML`));
  writeFileSync(file, config(true));
});

t.test('SIGHUP and reload over the socket are one queue: each reload ends before the next starts', async (t) => {
  const since = daemon.logs.length;
  const reply = raw(socket, '{"command":"reload"}\n', 1);
  daemon.child.kill('SIGHUP'); // while the socket's reload reads the file, or before it
  t.same(await reply, [{ ok: true, result: { file } }]);
  await daemon.waitForLog((l) => l.msg === 'configuration reloaded' && daemon.logs.indexOf(l) >= since && daemon.logs.slice(since).filter((m) => m.msg === 'configuration reloaded').length === 2);
  const msgs = daemon.logs.slice(since).map((l) => l.msg ?? '').filter((m) => /reloading configuration|configuration reloaded/.test(m));
  t.equal(msgs.length, 4);
  t.same(msgs.filter((_, i) => i % 2 === 1), ['configuration reloaded', 'configuration reloaded'], 'each start is followed by its end');
  t.same(msgs.filter((_, i) => i % 2 === 0).sort(), ['SIGHUP: reloading configuration', 'control socket: reloading configuration']);
});

t.test('a changed control_socket takes effect at the next start; the socket in use stays', async (t) => {
  const path = tempControlSocket();
  const listen = `${LISTEN}:${await freePort(LISTEN)}`;
  const own = join(dir, 'own.yaml');
  const text = (at: string) => config(false).replace(`${LISTEN}:${port}`, listen) + `control_socket: ${at}\n`;
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
  writeFileSync(off, config(false).replace(`${LISTEN}:${port}`, `${LISTEN}:${await freePort(LISTEN)}`) + 'control_socket: ""\n');
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

t.test('malformed requests: ok:false, and the daemon goes on serving', async (t) => {
  const replies = await raw(socket, 'hello\n{"command":"shutdown"}\n{"command":"flush","zone":7}\n', 3);
  t.match(replies, [
    { ok: false, error: /^request is not JSON/ },
    { ok: false, error: 'unknown command "shutdown": one of status, explain, flush, reload' },
    { ok: false, error: 'flush: "zone" must be a domain name' },
  ]);
  t.same(await raw(socket, 'x'.repeat(70_000), 1), [{ ok: false, error: 'request longer than 65536 bytes' }]);
  t.same(await raw(socket, '\u0000\u00ff{}\n', 1), [{ ok: false, error: 'request is not JSON: send one JSON object per line, e.g. {"command":"status"}' }]);
  t.same((await dig(LISTEN, port, 'after.example.test')).answers.map((a) => a.data), ['10.73.0.1'], 'DNS still answered');
  t.equal((await command(['status'])).code, 0, 'the control socket too');
  t.ok(daemon.alive);
});

t.test('--workers 2: the primary owns the socket and asks each worker', async (t) => {
  const workersFile = join(dir, 'workers.yaml');
  const workersPort = await freePort(LISTEN);
  writeFileSync(workersFile, config(false).replace(`${LISTEN}:${port}`, `${LISTEN}:${workersPort}`));
  const d = await startCluster(['--config', workersFile, '--workers', '2']);
  t.teardown(() => d.stop());
  const path = d.controlSocket!;
  const status = await runDnsfwd(['status', '--json', '--control-socket', path]);
  t.equal(status.code, 0, status.stderr);
  const workers = (JSON.parse(status.stdout) as { workers: { pid: number }[] }).workers;
  t.equal(workers.length, 2, 'one entry per worker');
  t.ok(workers.every((w) => Number.isInteger(w.pid) && w.pid !== d.child.pid), 'each with its pid');
  t.equal(new Set(workers.map((w) => w.pid)).size, 2);
  t.equal((await runDnsfwd(['explain', 'a.example.test', '--control-socket', path])).code, 0, 'explain: the first worker answers');

  // Each worker caches what it answered: ask until both have one (the kernel spreads the queries).
  for (let i = 0; i < 40; i++) await dig(LISTEN, workersPort, `w${i}.example.test`);
  const flushed = await runDnsfwd(['flush', '--control-socket', path]);
  t.same([flushed.code, flushed.stdout], [0, 'flushed 40 answers\n'], 'the sum over the workers');
  const workerFlushes = d.logs.filter((l) => l.msg === 'cache flushed');
  t.equal(workerFlushes.length, 2, 'both workers flushed');

  const ok = await runDnsfwd(['reload', '--control-socket', path]);
  t.same([ok.code, ok.stdout], [0, `reloaded ${workersFile}\n`]);
  t.equal(d.logs.filter((l) => l.msg === 'configuration reloaded').length, 2, 'each worker reloaded');
  writeFileSync(workersFile, 'listen: nope\n');
  const bad = await runDnsfwd(['reload', '--control-socket', path]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, new RegExp(`^dnsfwd: worker \\d+: ${workersFile}:1:\\d+: listen: `));
  t.equal(await d.stop(), 0);
  t.throws(() => lstatSync(path), { code: 'ENOENT' }, 'the primary removed its socket');
});

/** A cluster's primary with a socket of its own; resolves once every worker has started. */
async function startCluster(args: string[]): Promise<DaemonProcess> {
  const d = await startDnsfwd(args);
  await d.waitForMsg('all workers started', 20_000);
  return d;
}

/** A socket file with nothing listening behind it: what a daemon killed by SIGKILL leaves. */
async function staleSocket(path: string): Promise<string> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  if (!lstatSync(path).isSocket()) throw new Error(`no socket file at ${path}`);
  return path;
}

/** Sends `text` on the socket and reads `count` response lines. */
function raw(path: string, text: string, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let got = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      got += d;
      const lines = got.split('\n').filter(Boolean);
      if (lines.length >= count) {
        c.destroy();
        resolve(lines.map((l) => JSON.parse(l) as unknown));
      }
    });
    c.on('error', reject);
    c.write(text);
  });
}

/** The uid and gid /etc/passwd gives `user`. */
function idsOf(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user}`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
