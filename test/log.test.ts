// The process logger: a log file created 0640 whatever the umask, reopened by name after a rotation
// (the lines before in the old file, the lines after in the new one), a clear error when it cannot
// be opened, a failed write said on stderr, the format switched at run time, the journal priority
// prefix, and how stdout is recognised as the journal's stream.
import { spawn } from 'node:child_process';
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

t.test('on stdout: the journal priority prefix when stdout is the journal; SIGUSR2 has no file to reopen', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'stdout');
  const fd = openSync(out, 'a');
  t.teardown(() => closeSync(fd));
  const st = statSync(out);
  const log = createLogger({ level: 'debug', stdout: fd, env: { JOURNAL_STREAM: `${st.dev}:${st.ino}` } });
  t.equal(log.file, '', 'no log file');
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug'] as const) log.logger[level](`at ${level}`);
  log.reopen();
  await until('the reopen line', () => text(out).includes('no log file to reopen'));
  const lines = text(out).split('\n').filter(Boolean);
  t.same(lines.map((l) => l.slice(0, 3)), ['<2>', '<3>', '<4>', '<6>', '<7>', '<7>'], 'fatal, error, warn, info, debug; then the reopen\'s debug line');
  t.same(lines.map((l) => (JSON.parse(l.slice(3)) as { msg: string }).msg).at(-1), 'SIGUSR2: no log file to reopen (the lines go to stdout)');
  const other = join(dir, 'other');
  const plainFd = openSync(other, 'a');
  t.teardown(() => closeSync(plainFd));
  createLogger({ stdout: plainFd, env: { JOURNAL_STREAM: `${st.dev}:${st.ino}` } }).logger.info('plain');
  await until('the plain line', () => text(other).includes('plain'));
  t.match(text(other), /^\{"level":30,/, 'stdout elsewhere than the journal: no prefix');
});

// In a child process: pino's writer flushes before exit, and with /dev/full that never ends.
t.test('a write that fails (a full disk) is said on stderr, not thrown', async (t) => {
  const module = new URL('../src/log.js', import.meta.url).href;
  const script = `import { createLogger } from ${JSON.stringify(module)};\ncreateLogger({ file: '/dev/full' }).logger.info('no room');\nsetInterval(() => {}, 1000);\n`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  await until('the error said', () => stderr.includes('\n') || child.exitCode !== null);
  t.match(stderr, /^dnsfwd: writing a log line failed: ENOSPC/);
  t.equal(child.exitCode, null, 'still running');
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
