// The control socket against the built daemon: `dnsfwd status|explain|flush|reload` over it (the
// plumbing; what status and explain say is tested with them), flush really empties the cache,
// reload applies a good file and refuses a bad one (exit 2, FILE:LINE:COL, the old config kept),
// reload --pid without a socket, SIGHUP and socket reloads in one queue, malformed requests.
// The socket itself (mode, owner, stale files, client errors): control-socket.test.ts; a
// cluster: control-cluster.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { raw } from '../helpers/control.js';
import { runDnsfwd, startDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/ports.js';

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

t.test('reload --pid without a control socket: the file checked, then SIGHUP to that process', async (t) => {
  const pid = daemon.child.pid!;
  const since = daemon.logs.length;
  const sent = await runDnsfwd(['reload', '--pid', String(pid), '--config', file, '--control-socket', '']);
  t.same([sent.code, sent.stdout, sent.stderr], [0, `sent SIGHUP to ${pid} (no control socket: the outcome is in its log)\n`, '']);
  await daemon.waitForMsg('SIGHUP: reloading configuration', 10_000, since);
  await daemon.waitForMsg('configuration reloaded', 10_000, since);

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'control_socket: ""\nlisten: [nope]\n');
  const refused = await runDnsfwd(['reload', '--pid', String(pid), '--config', bad]);
  t.equal(refused.code, 2, 'a bad file: exit 2');
  t.match(refused.stderr, new RegExp(`^dnsfwd: ${bad}:2:10: listen\\[0\\]: "nope": not an IP address`));
  // No SIGHUP was sent: the next reload over the socket is the next one the daemon logs.
  const after = daemon.logs.length;
  t.equal((await command(['reload'])).code, 0);
  t.equal(daemon.logs.slice(after).find((l) => /reloading configuration/.test(l.msg ?? ''))?.msg, 'control socket: reloading configuration', 'no SIGHUP came first');

  const notPid = await runDnsfwd(['reload', '--pid', 'abc', '--control-socket', '']);
  t.same([notPid.code, notPid.stderr], [2, 'dnsfwd: --pid: "abc" is not a process id\n']);
  // With a control socket, --pid is not used: the reload goes over the socket.
  t.equal((await command(['reload', '--pid', '1'])).stdout, `reloaded ${file}\n`);
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

