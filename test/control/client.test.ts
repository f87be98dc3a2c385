// The client of the control socket: which socket a command uses (flag, config, default), and the
// one line each failure prints: no daemon, permission denied, a daemon that does not answer, one
// that closes, one that answers something else.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ask, CommandFailure, connectFailure, socketPath } from '../../src/control/client.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-client-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<CommandFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CommandFailure) return err;
    throw err;
  }
  throw new Error('no failure');
}

t.test('socketPath: --control-socket, else the config file, else the embedded default', async (t) => {
  t.equal(await socketPath({}), '/run/dnsfwd/control.sock', 'the default');
  t.equal(await socketPath({ controlSocket: '/tmp/x.sock', config: '/nonexistent.yaml' }), '/tmp/x.sock', 'the flag wins');
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'control_socket: /srv/dnsfwd.sock\n');
  t.equal(await socketPath({ config: good }), '/srv/dnsfwd.sock', 'the config file');
  // A file the daemon would reject still names its socket: `dnsfwd reload` reports the daemon's error.
  const rejected = join(dir, 'rejected.yaml');
  writeFileSync(rejected, 'control_socket: /srv/other.sock\nlisten: [nope]\n');
  t.equal(await socketPath({ config: rejected }), '/srv/other.sock', 'a rejected file');
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'control_socket: [\n');
  t.equal(await socketPath({ config: broken }), '/run/dnsfwd/control.sock', 'YAML that does not parse: the default');
  const badValue = join(dir, 'bad-value.yaml');
  writeFileSync(badValue, 'control_socket: relative.sock\nlisten: [nope]\n');
  t.equal(await socketPath({ config: badValue }), '/run/dnsfwd/control.sock', 'a bad control_socket: the default');
  t.equal(await socketPath({ config: join(dir, 'missing.yaml') }), '/run/dnsfwd/control.sock', 'no such file: the default');

  const off = join(dir, 'off.yaml');
  writeFileSync(off, 'control_socket: ""\n');
  const none = await failure(socketPath({ config: off }));
  t.equal(none.message, `no control socket: control_socket is "" in ${off} (--control-socket PATH to name one)`);
  t.equal(none.exitCode, 1);
  t.equal((await failure(socketPath({ controlSocket: '' }))).message, 'no control socket: control_socket is "" in --control-socket (--control-socket PATH to name one)');
  const bad = await failure(socketPath({ controlSocket: 'x.sock' }));
  t.match(bad.message, /^--control-socket: "x\.sock": must be an absolute path/);
  t.equal(bad.exitCode, 2, 'bad usage');
});

t.test('connectFailure: one line per cause, naming the socket', async (t) => {
  const err = (code: string, message = `${code} message`) => Object.assign(new Error(message), { code });
  t.equal(
    connectFailure('/run/dnsfwd/control.sock', err('ENOENT')),
    'no daemon answers on /run/dnsfwd/control.sock (ENOENT): is dnsfwd running? (--control-socket PATH to use another)',
  );
  t.equal(connectFailure('/s', err('ECONNREFUSED')), 'no daemon answers on /s (ECONNREFUSED): is dnsfwd running? (--control-socket PATH to use another)');
  t.equal(connectFailure('/s', err('EACCES'), () => 'group dnsfwd'), 'permission denied on /s (EACCES): run as root or as a member of group dnsfwd');
  t.equal(connectFailure('/s', err('EPERM'), () => 'group dnsfwd'), 'permission denied on /s (EPERM): run as root or as a member of group dnsfwd');
  t.equal(connectFailure('/s', err('ENOTDIR', 'not a directory')), 'cannot connect to /s: not a directory');
  // The group is read from the socket file: here /etc/group's name of root's group.
  t.match(connectFailure('/', err('EACCES')), /run as root or as a member of group \S+$/);
  t.match(connectFailure('/nonexistent/x', err('EACCES')), /member of the socket's group \(dnsfwd when installed as a service\)$/);
});

/** A server on a fresh socket path that calls `onData` with what each connection sends. */
async function server(t: Test, onData: (socket: Socket, data: string) => void): Promise<string> {
  const path = join(dir, `s${Math.random().toString(36).slice(2)}.sock`);
  const s: Server = createServer((socket) => {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => onData(socket, d));
  });
  await new Promise<void>((resolve) => s.listen(path, resolve));
  t.teardown(() => new Promise<void>((resolve) => s.close(() => resolve())));
  return path;
}

t.test('ask: sends one request line, reads one response line', async (t) => {
  let got = '';
  const path = await server(t, (socket, data) => {
    got += data;
    socket.write('{"ok":true,');
    setImmediate(() => socket.write('"result":{"flushed":2}}\n{"ignored":1}\n'));
  });
  t.same(await ask(path, { command: 'flush', zone: 'consul' }), { ok: true, result: { flushed: 2 } }, 'a response in two pieces');
  t.equal(got, '{"command":"flush","zone":"consul"}\n');
});

t.test('ask: each failure of the daemon side is one line naming the socket', async (t) => {
  const silent = await server(t, () => {});
  t.equal((await failure(ask(silent, { command: 'status' }, 200))).message, `no answer on ${silent} within 0.2 s`);
  const closing = await server(t, (socket) => socket.end());
  t.equal((await failure(ask(closing, { command: 'status' }))).message, `${closing} closed the connection without an answer`);
  const garbage = await server(t, (socket) => socket.write('HTTP/1.0 400 Bad Request\n'));
  t.equal((await failure(ask(garbage, { command: 'status' }))).message, `${garbage}: the answer is not a dnsfwd response`);
  const missing = join(dir, 'missing.sock');
  t.match((await failure(ask(missing, { command: 'status' }))).message, `no daemon answers on ${missing} (ENOENT)`);
});
