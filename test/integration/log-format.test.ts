// What a log line looks like where it goes: with stdout on the journal (JOURNAL_STREAM names its
// device and inode) each line starts with its syslog priority, <6> info, <4> warning, and the JSON
// after it parses; with JOURNAL_STREAM naming another file, no prefix. log_format: text gives
// readable lines (with the prefix on the journal too), and a reload switches the format; a new
// log_file waits for a restart, which a warning says.
import { writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { spawnDnsfwd, startDnsfwd, type DaemonProcess } from '../helpers/daemon.js';
import { freePort } from '../helpers/ports.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot();
const LISTEN = '127.0.75.11';
const SOURCES = ['--lease-file', '/nonexistent/x.leases'];

/** A prefix that runs the daemon with JOURNAL_STREAM naming the file on descriptor `fd` of the shell that execs it. */
const journalOf = (fd: number) => ['sh', '-c', `JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/${fd}) exec "$@"`, 'sh'];

/** The lines that are not JSON (DaemonProcess keeps each whole as msg, with level -1). */
const rawLines = (d: DaemonProcess) => d.logs.filter((l) => l.level === -1).map((l) => String(l.msg));

/** The warning every daemon here logs as it starts (the tests run as root, with no user: set). */
const ROOT_WARNING = 'running as root: set "user:" in the config (or --user) to drop privileges after binding';

/** Spawns `dnsfwd run ARGS` and waits for a raw (non-JSON) start-up line matching `started`. */
async function startRaw(t: Test, args: string[], prefix: string[], started: RegExp): Promise<DaemonProcess> {
  const d = spawnDnsfwd(['run', '--listen', `${LISTEN}:${await freePort(LISTEN)}`, ...SOURCES, ...args], { prefix });
  t.teardown(() => d.stop());
  await d.waitForLog((l) => l.level === -1 && started.test(String(l.msg)), 20_000);
  return d;
}

t.test('stdout on the journal: <6> for info, <4> for a warning, then the JSON line', async (t) => {
  const d = await startRaw(t, [], journalOf(1), /^<6>\{.*"msg":"dnsfwd started"/);
  await d.waitForLog((l) => String(l.msg).includes(ROOT_WARNING.slice(0, 20)));
  const lines = rawLines(d);
  t.equal(d.logs.length, lines.length, 'every line has a prefix');
  const parsed = lines.map((l) => ({ prefix: /^<\d>/.exec(l)?.[0], record: JSON.parse(l.replace(/^<\d>/, '')) as { level: number; msg: string } }));
  const started = parsed.find((p) => p.record.msg === 'dnsfwd started')!;
  t.same([started.prefix, started.record.level], ['<6>', 30], 'info: <6>');
  const warning = parsed.find((p) => p.record.msg === ROOT_WARNING)!;
  t.same([warning.prefix, warning.record.level], ['<4>', 40], 'warn: <4>');
  const wrong = parsed.filter((p) => p.prefix !== { 30: '<6>', 40: '<4>', 20: '<7>', 50: '<3>' }[p.record.level]);
  t.same(wrong, [], 'each line has the priority of its level');
});

t.test('debug lines: <7>', async (t) => {
  const d = await startRaw(t, ['--log-level', 'debug'], journalOf(1), /^<6>\{.*"msg":"dnsfwd started"/);
  d.child.kill('SIGUSR2'); // no log file: a debug line
  const line = await d.waitForLog((l) => String(l.msg).includes('SIGUSR2: no log file to reopen'));
  t.match(String(line.msg), /^<7>\{"level":20,/);
});

t.test('JOURNAL_STREAM naming another file (stderr here): no prefix, JSON lines as elsewhere', async (t) => {
  const d = spawnDnsfwd(['run', '--listen', `${LISTEN}:${await freePort(LISTEN)}`, ...SOURCES], { prefix: journalOf(2) });
  t.teardown(() => d.stop());
  await d.waitForMsg('dnsfwd started', 20_000);
  await d.waitForMsg(ROOT_WARNING);
  t.same(rawLines(d), [], 'every line is JSON');
});

t.test('log_format text on the journal: the prefix, then the readable line', async (t) => {
  const d = await startRaw(t, ['--log-format', 'text'], journalOf(1), /^<6>\S+Z INFO {2}dnsfwd started listen=/);
  const warning = await d.waitForLog((l) => String(l.msg).includes(ROOT_WARNING));
  t.match(String(warning.msg), /^<4>\d{4}-\d\d-\d\dT[\d:.]+Z WARN {2}running as root: /);
});

t.test('log_format text elsewhere: component, message and fields on one line, no prefix', async (t) => {
  const d = await startRaw(t, ['--log-format', 'text'], [], /^\S+Z INFO {2}dnsfwd started listen=\["127\.0\.75\.11:\d+"\] routes=\{/);
  await d.waitForLog((l) => String(l.msg).includes(ROOT_WARNING));
  t.ok(rawLines(d).every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z (INFO|WARN|DEBUG) /.test(l)), 'every line is text', { lines: rawLines(d) });
  const source = await d.waitForLog((l) => String(l.msg).includes('source file unusable'));
  t.match(
    String(source.msg),
    / WARN {2}source: source file unusable; keeping the last good servers source=dhclient:\/nonexistent\/x\.leases file=\/nonexistent reason="the directory does not exist"$/,
    'the component before the message; a value with spaces quoted',
  );
});

t.test('a reload applies a new log_format; a new log_file is a warning that it needs a restart', async (t) => {
  const dir = t.testdir({});
  const file = `${dir}/dnsfwd.yaml`;
  const port = await freePort(LISTEN);
  const config = (extra: string) => `listen: ["${LISTEN}:${port}"]\ndefault: { sources: [] }\n${extra}`;
  writeFileSync(file, config('log_format: json\n'));
  const d = await startDnsfwd(['--config', file]);
  writeFileSync(file, config('log_format: text\n'));
  let since = d.logs.length;
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000, since);
  const changed = await d.waitForLog((l) => / INFO {2}log format changed format=text$/.test(String(l.msg)), 10_000, since);
  t.equal(changed.level, -1, 'said in the new format');
  writeFileSync(file, config(`log_format: json\nlog_file: ${dir}/later.log\n`));
  since = d.logs.length;
  d.child.kill('SIGHUP');
  await d.waitForLog((l) => l.msg === 'log format changed' && l.format === 'json', 10_000, since);
  const warning = await d.waitForMsg('log_file changed: it takes effect at the next restart', 10_000, since);
  t.same([warning.level, warning.file, warning.configured], [40, 'stdout', `${dir}/later.log`]);
  t.equal(await d.stop(), 0);
  t.match(d.logs.at(-1), { msg: 'shutting down' }, 'still writing to stdout');
});
