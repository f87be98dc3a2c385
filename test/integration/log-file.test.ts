// --log-file: dnsfwd appends its lines to the file itself, and SIGUSR2 reopens it after a rotation
// moved it away (each process of a --workers cluster too: the primary forwards the signal). A file
// that cannot be opened stops the start with one line.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runDnsfwd, spawnDnsfwd } from '../helpers/daemon.js';
import { dig } from '../helpers/dig.js';
import { aRecord, startFake } from '../helpers/fake-upstream.js';
import { fileLines, waitForFileMsg } from '../helpers/log-file.js';
import { freePort } from '../helpers/ports.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot();
const LISTEN = '127.0.75.1';
const UP = '127.0.75.2';
const upPort = await freePort(UP);
const up = await startFake({ address: UP, port: upPort, answer: (n) => ({ answers: [aRecord(n, '10.75.0.1')] }) });
t.teardown(() => up.close());

const msgs = (path: string) => fileLines(path).map((l) => l.msg);

t.test('the lines go to the file; after a rename and SIGUSR2 they go to a new file of that name', async (t) => {
  const port = await freePort(LISTEN);
  const log = join(t.testdir({}), 'dnsfwd.log');
  const d = spawnDnsfwd(['run', '--listen', `${LISTEN}:${port}`, '--upstream', `${UP}:${upPort}`, '--lease-file', '/nonexistent/x.leases', '--log-file', log]);
  t.teardown(() => d.stop());
  await waitForFileMsg(log, 'dnsfwd started');
  t.equal((await dig(LISTEN, port, 'a.example')).answers[0]?.data, '10.75.0.1');

  renameSync(log, `${log}.1`);
  d.child.kill('SIGUSR2');
  const [reopened] = await waitForFileMsg(log, 'log file reopened');
  t.equal(reopened!.file, log);
  d.child.kill('SIGUSR1'); // a line after the reopen
  await waitForFileMsg(log, 'cache statistics');
  const old = msgs(`${log}.1`);
  t.ok(old.includes('dnsfwd started'), 'the lines before the rename are in the old file');
  t.notOk(old.includes('log file reopened'), 'the old file got no line after the reopen');
  t.notOk(old.includes('cache statistics'), '...not the later one either');
  t.equal((await dig(LISTEN, port, 'b.example')).answers[0]?.data, '10.75.0.1', 'still answering');
  t.equal(await d.stop(), 0);
  t.same(d.logs, [], 'nothing on stdout');
  t.equal(d.stderr, '');
});

t.test('--workers 2: every process appends to the file, and each reopens it on SIGUSR2', async (t) => {
  const port = await freePort(LISTEN);
  const log = join(t.testdir({}), 'dnsfwd.log');
  const d = spawnDnsfwd(['run', '--workers', '2', '--listen', `${LISTEN}:${port}`, '--upstream', `${UP}:${upPort}`, '--lease-file', '/nonexistent/x.leases', '--log-file', log]);
  t.teardown(() => d.stop());
  await waitForFileMsg(log, 'all workers started');
  const started = await waitForFileMsg(log, 'dnsfwd started', 2);
  t.equal(new Set(started.map((l) => l.worker)).size, 2, 'both workers write to the file');

  renameSync(log, `${log}.1`);
  d.child.kill('SIGUSR2');
  await waitForFileMsg(log, 'log file reopened', 3); // the primary and the two workers
  d.child.kill('SIGUSR1');
  const stats = await waitForFileMsg(log, 'cache statistics', 2);
  t.equal(new Set(stats.map((l) => l.worker)).size, 2, 'both workers write to the new file');
  const old = msgs(`${log}.1`);
  t.notOk(old.includes('log file reopened'), 'the old file got no line after the reopen');
  t.notOk(old.includes('cache statistics'));
  t.equal(await d.stop(), 0);
  t.same(d.logs, [], 'nothing on stdout');
});

t.test('a log file that cannot be opened: one line on stderr, exit 1', async (t) => {
  const dir = t.testdir({});
  const r = await runDnsfwd(['run', '--listen', `${LISTEN}:${await freePort(LISTEN)}`, '--log-file', join(dir, 'missing/dnsfwd.log')]);
  t.equal(r.code, 1);
  t.equal(r.stderr, `dnsfwd: cannot open the log file ${join(dir, 'missing/dnsfwd.log')}: no such file\n`);
  t.equal(r.stdout, '');
  const bad = await runDnsfwd(['run', '--log-file', 'relative.log', '--log-format', 'xml']);
  t.equal(bad.code, 2, 'a bad --log-format is a usage error');
  t.match(bad.stderr, /^dnsfwd: Invalid values: Argument: log-format, Given: "xml", Choices: "json", "text"/);
  t.equal(bad.stderr.split('\n').length, 3, 'one line, and the hint');
});
