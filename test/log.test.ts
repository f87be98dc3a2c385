// The process logger: a log file created 0640 whatever the umask, reopened by name after a rotation
// (the lines before in the old file, the lines after in the new one), a clear error when it cannot
// be opened, the format switched at run time, and how stdout is recognised as the journal's stream.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isDnsfwdError } from '../src/errors.js';
import { createLogger, stdoutIsJournal, type ProcessLog } from '../src/log.js';
import { until } from './helpers/wait.js';

const text = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
const records = (path: string) =>
  text(path)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
/** Waits until `path` has a JSON line with `msg` (the writes are asynchronous). */
const written = (path: string, msg: string) => until(`"${msg}" in ${path}`, () => text(path).includes(`"msg":${JSON.stringify(msg)}`));

t.test('a missing log file is created 0640 whatever the umask, and the lines are appended', async (t) => {
  const file = join(t.testdir({}), 'dnsfwd.log');
  const old = process.umask(0o077);
  let log: ProcessLog;
  try {
    log = createLogger({ file });
  } finally {
    process.umask(old);
  }
  log.logger.info({ n: 1 }, 'first');
  await written(file, 'first');
  t.equal(statSync(file).mode & 0o777, 0o640);
  t.equal(log.file, file);
  const again = createLogger({ file });
  again.logger.warn('second');
  await written(file, 'second');
  t.same(records(file).map((r) => [r.level, r.msg, r.name]), [[30, 'first', 'dnsfwd'], [40, 'second', 'dnsfwd']], 'appended, not truncated');
});

t.test('reopen: after a rename, the lines go to a new file of that name', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'dnsfwd.log');
  const log = createLogger({ file });
  log.logger.info('before');
  renameSync(file, `${file}.1`);
  log.logger.info('after the rename, before the reopen');
  log.reopen();
  log.logger.info('after');
  await written(file, 'after');
  await written(`${file}.1`, 'after the rename, before the reopen');
  t.same(records(`${file}.1`).map((r) => r.msg), ['before', 'after the rename, before the reopen']);
  t.same(records(file).map((r) => [r.msg, r.file]), [['log file reopened', file], ['after', undefined]]);
  t.equal(statSync(file).mode & 0o777, 0o640);
});

t.test('reopen that fails keeps writing to the old file, with an error line', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'dnsfwd.log');
  const log = createLogger({ file });
  renameSync(file, `${file}.1`);
  mkdirSync(file); // the name now is a directory
  log.reopen();
  log.logger.info('still here');
  await written(`${file}.1`, 'still here');
  const lines = records(`${file}.1`);
  t.same(lines.map((r) => [r.level, r.msg]), [[50, 'log file not reopened: still writing to the old one'], [30, 'still here']]);
  t.equal(lines[0]!.error, `cannot open the log file ${file}: is a directory`);
});

t.test('a log file that cannot be opened: a DnsfwdError that names it and says why', async (t) => {
  const dir = t.testdir({});
  for (const [file, why] of [[join(dir, 'no/such/dir.log'), 'no such file'], [dir, 'is a directory']] as const) {
    let caught: unknown;
    try {
      createLogger({ file });
    } catch (err) {
      caught = err;
    }
    t.ok(isDnsfwdError(caught, 'LOG_FILE'), file);
    t.equal((caught as Error).message, `cannot open the log file ${file}: ${why}`);
  }
});

t.test('the format switches at run time; the level is the one given', async (t) => {
  const file = join(t.testdir({}), 'dnsfwd.log');
  const log = createLogger({ file, level: 'warn', format: 'text' });
  t.equal(log.format, 'text');
  log.logger.info('not at warn');
  log.logger.warn({ component: 'cache' }, 'as text');
  log.setFormat('json');
  t.equal(log.format, 'json');
  log.logger.warn('as json');
  await written(file, 'as json');
  const [text, json, more] = readFileSync(file, 'utf8').split('\n');
  t.match(text, /^\d{4}-\d\d-\d\dT[\d:.]+Z WARN {2}cache: as text$/);
  t.match(JSON.parse(json!), { level: 40, msg: 'as json' });
  t.equal(more, '', 'nothing else: the info line is below the level');
});

t.test('stdout is the journal only when JOURNAL_STREAM names its device and inode', async (t) => {
  const dir = t.testdir({ a: '', b: '' });
  const fd = openSync(join(dir, 'a'), 'r');
  t.teardown(() => closeSync(fd));
  const a = statSync(join(dir, 'a'));
  const b = statSync(join(dir, 'b'));
  t.ok(stdoutIsJournal({ JOURNAL_STREAM: `${a.dev}:${a.ino}` }, fd), 'the same device and inode');
  t.notOk(stdoutIsJournal({ JOURNAL_STREAM: `${b.dev}:${b.ino}` }, fd), 'another file');
  t.notOk(stdoutIsJournal({ JOURNAL_STREAM: `${a.dev + 1}:${a.ino}` }, fd), 'another device');
  t.notOk(stdoutIsJournal({ JOURNAL_STREAM: `${a.dev}:${a.ino}x` }, fd), 'not DEV:INODE');
  t.notOk(stdoutIsJournal({}, fd), 'not set');
  t.notOk(stdoutIsJournal({ JOURNAL_STREAM: `${a.dev}:${a.ino}` }, 999), 'a descriptor that is not open');
});
