// Under the real systemd-journald (in a sandbox: its own mount, PID and network namespaces), the
// daemon's stdout connected to the journal as a service's is, JOURNAL_STREAM naming it (systemd-cat
// connects the stream but does not set the variable, so a shell sets it as systemd would): each
// entry carries the priority of its line, `journalctl -p warning` lists the warnings and nothing
// below, and the message stored is the JSON line, without the prefix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Sandbox } from '../helpers/sandbox.js';
import { BIN, requireTool } from '../helpers/tools.js';

const JOURNALD = '/lib/systemd/systemd-journald';
for (const tool of ['systemd-cat', 'journalctl', JOURNALD]) requireTool(tool);

const SCRIPT = `
export DNSFWD_NODE="$NODE" # bin/dnsfwd runs this node
unset NODE_OPTIONS # the test runner adds its loaders to every child node
mkdir -p /run/systemd/journal
"$JOURNALD" >"$SANDBOX/journald.out" 2>&1 &
for _ in $(seq 100); do [ -S /run/systemd/journal/stdout ] && break; sleep 0.1; done
# shellcheck disable=SC2016
systemd-cat -t dnsfwd sh -c 'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1) exec "$@"' sh \\
  "$BIN" run --listen 127.0.75.31:5300 --lease-file /nonexistent/x.leases --log-level debug &
seen() { journalctl -t dnsfwd -o cat | grep -q "$1"; }
for _ in $(seq 150); do seen '"msg":"running as root' && seen '"msg":"source file unusable' && break; sleep 0.2; done
kill -USR2 $! # systemd-cat and sh exec: this is the daemon. No log file: a debug line.
for _ in $(seq 150); do seen '"msg":"SIGUSR2: no log file' && break; sleep 0.2; done
journalctl -t dnsfwd -o json >"$SANDBOX/all.json"
journalctl -t dnsfwd -p warning -o json >"$SANDBOX/warnings.json"
`;

interface Entry {
  readonly PRIORITY: string;
  readonly MESSAGE: string;
}

const entries = (file: string): Entry[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Entry);

t.test('journald stores each line with its priority; journalctl -p warning lists the warnings', async (t) => {
  const box = new Sandbox('the journald test');
  t.teardown(() => box.remove());
  const r = box.run(SCRIPT, { JOURNALD, NODE: process.execPath, BIN });
  t.equal(r.status, 0, 'the sandbox script ran to its end', { stdout: r.stdout, stderr: r.stderr });
  const all = entries(join(box.dir, 'all.json'));
  const records = all.map((e) => ({ priority: e.PRIORITY, record: JSON.parse(e.MESSAGE) as { level: number; msg: string } }));
  const expected: Record<number, string> = { 20: '7', 30: '6', 40: '4', 50: '3' };
  t.same(records.filter((x) => x.priority !== expected[x.record.level]), [], 'each entry has the priority of its level, and its message is the JSON line');
  const levels = new Set(records.map((x) => x.record.level));
  t.ok(levels.has(20) && levels.has(30) && levels.has(40), 'debug, info and warning lines were all seen', { levels: [...levels] });
  const warnings = entries(join(box.dir, 'warnings.json')).map((e) => (JSON.parse(e.MESSAGE) as { msg: string }).msg);
  t.ok(warnings.includes('running as root: set "user:" in the config (or --user) to drop privileges after binding'), 'a warning is listed', { warnings });
  t.ok(warnings.some((m) => m.startsWith('source file unusable')), 'another one too');
  t.same(
    warnings.filter((m) => !records.some((x) => x.record.msg === m && x.record.level >= 40)),
    [],
    '-p warning lists nothing below warning',
  );
  t.ok(records.some((x) => x.record.msg === 'dnsfwd started'), 'the info line is in the journal');
  t.notOk(warnings.includes('dnsfwd started'), '...but not among the warnings');
});
