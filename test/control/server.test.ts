// The control socket's server: requests answered line by line, many clients at once, bad and
// oversized requests refused without harm, idle connections closed; the socket file's mode,
// owner and directory; a stale file replaced, a live one or a file that is no socket refused.
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { isDnsfwdError } from '../../src/errors.js';
import type { ControlTarget } from '../../src/control/protocol.js';
import { ControlServer } from '../../src/control/server.js';
import { captureLog, quietLogger } from '../helpers/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-server-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `c${++n}.sock`);

let flushes = 0;
const target: ControlTarget = {
  status: async () => ({ up: true }),
  explain: async (name) => {
    throw new Error(`cannot explain ${name}`);
  },
  flush: async () => ++flushes,
  reload: async () => ({ ok: true, file: 'f.yaml' }),
};

/** Sends `text` on a new connection; resolves with everything received until the server closes, or `until` matches. */
function exchange(path: string, text: string, until: (got: string) => boolean = () => false): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let got = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      got += d;
      if (until(got)) {
        c.destroy();
        resolve(got);
      }
    });
    c.on('close', () => resolve(got));
    c.on('error', reject);
    c.write(text);
  });
}
const lines = (n: number) => (got: string) => got.split('\n').length > n;

async function open(t: Test, path = fresh(), owner: { uid: number; gid: number } | null = null, idleMs?: number) {
  const s = await ControlServer.open(path, target, quietLogger(), owner, idleMs);
  t.teardown(() => s.close());
  return s;
}

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isDnsfwdError(err, 'CONTROL_SOCKET')) return err.message;
    throw err;
  }
  throw new Error('not refused');
}

t.test('requests on one connection are answered in order, one line each; errors are ok:false', async (t) => {
  const s = await open(t);
  const got = await exchange(
    s.path,
    '{"command":"status"}\nnot json\n{"command":"explain","name":"x.test"}\r\n{"command":"flush"}\n',
    lines(4),
  );
  const replies = got.trim().split('\n').map((l) => JSON.parse(l) as unknown);
  t.same(replies[0], { ok: true, result: { up: true } });
  t.match(replies[1], { ok: false, error: /^request is not JSON/ });
  t.same(replies[2], { ok: false, error: 'cannot explain x.test' }, 'a CRLF line too; the target\'s exception');
  t.match(replies[3], { ok: true, result: { flushed: Number } });
});

t.test('many clients at once', async (t) => {
  const s = await open(t);
  const before = flushes;
  const got = await Promise.all(Array.from({ length: 60 }, () => exchange(s.path, '{"command":"flush"}\n', lines(1))));
  t.equal(got.length, 60);
  t.ok(got.every((g) => /^\{"ok":true,"result":\{"flushed":\d+\}\}\n$/.test(g)), 'each answered');
  t.equal(flushes - before, 60);
});

t.test('a request line over 64 KiB: refused and the connection closed; the server goes on', async (t) => {
  const s = await open(t);
  const got = await exchange(s.path, '{"command":"status","x":"' + 'a'.repeat(70_000));
  t.equal(got, '{"ok":false,"error":"request longer than 65536 bytes"}\n', 'answered, then closed');
  // Exactly at the limit without a newline yet: still waiting for the rest.
  const atLimit = await exchange(s.path, ' '.repeat(65_536 - 21) + '{"command":"status"}\n', lines(1));
  t.equal(atLimit, '{"ok":true,"result":{"up":true}}\n', 'a line of 64 KiB is read');
  t.equal(await exchange(s.path, '{"command":"status"}\n', lines(1)), '{"ok":true,"result":{"up":true}}\n');
});

t.test('an idle connection is closed', async (t) => {
  const s = await open(t, fresh(), null, 100);
  t.equal(await exchange(s.path, '{"command":"sta'), '', 'closed with nothing said');
});

t.test('mode 0660 whatever the umask; owner and group as asked; removed at close', async (t) => {
  for (const umask of [0o000, 0o077, 0o022]) {
    const old = process.umask(umask);
    try {
      const s = await ControlServer.open(fresh(), target, quietLogger(), null);
      t.equal(statSync(s.path).mode & 0o7777, 0o660, `umask ${umask.toString(8)}`);
      t.equal(process.umask(umask), umask, 'the umask is given back');
      s.close();
      t.throws(() => lstatSync(s.path), { code: 'ENOENT' }, 'removed');
    } finally {
      process.umask(old);
    }
  }
  const owned = await open(t, fresh(), { uid: 65534, gid: 65534 });
  const st = statSync(owned.path);
  t.same([st.uid, st.gid, st.mode & 0o777], [65534, 65534, 0o660], 'the user dnsfwd becomes, its group');
});

t.test('a missing directory is made (0750, the owner\'s); a missing parent is an error', async (t) => {
  const sub = join(dir, 'run-dnsfwd');
  const s = await open(t, join(sub, 'control.sock'), { uid: 65534, gid: 65534 });
  const st = statSync(sub);
  t.same([st.isDirectory(), st.mode & 0o777, st.uid, st.gid], [true, 0o750, 65534, 65534]);
  t.equal(statSync(s.path).mode & 0o777, 0o660);
  const deep = join(dir, 'no', 'such', 'c.sock');
  t.equal(await refused(ControlServer.open(deep, target, quietLogger(), null)), `control socket ${deep}: cannot create directory ${join(dir, 'no', 'such')}: no such file or directory (ENOENT)`);
  const file = join(dir, 'plain-file');
  writeFileSync(file, '');
  t.equal(await refused(ControlServer.open(join(file, 'c.sock'), target, quietLogger(), null)), `control socket ${file}/c.sock: ${file} is not a directory`);
  const under = join(file, 'x', 'c.sock');
  t.match(await refused(ControlServer.open(under, target, quietLogger(), null)), `control socket ${under}: cannot use directory ${file}/x: ENOTDIR`);
});

t.test('a stale socket file is replaced; a live one, or a file that is no socket, is an error', async (t) => {
  // A process that listened and was killed leaves its socket file, with nothing behind it.
  const stale = fresh();
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`]);
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  t.ok(lstatSync(stale).isSocket(), 'the stale file is there');
  const log = captureLog('info');
  const s = await ControlServer.open(stale, target, log.logger, null);
  t.teardown(() => s.close());
  t.equal(await exchange(stale, '{"command":"status"}\n', lines(1)), '{"ok":true,"result":{"up":true}}\n', 'replaced and answering');
  t.match(log.lines, [{ msg: 'control socket ready', path: stale }]);

  t.equal(
    await refused(ControlServer.open(stale, target, quietLogger(), null)),
    `another dnsfwd is listening on ${stale}: stop it, or give this one another control_socket (--control-socket PATH)`,
  );
  t.equal(await exchange(stale, '{"command":"status"}\n', lines(1)), '{"ok":true,"result":{"up":true}}\n', 'the first one still answers');

  const file = fresh();
  writeFileSync(file, 'keep me');
  t.equal(await refused(ControlServer.open(file, target, quietLogger(), null)), `control socket ${file}: exists and is not a socket: not replaced`);
  t.ok(lstatSync(file).isFile(), 'left as it was');
});
