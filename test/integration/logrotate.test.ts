// The logrotate snippet that ships for OpenRC (openrc/dnsfwd.logrotate), run by the real logrotate
// against a running daemon: its paths and its postrotate command (rc-service ... reopen, which
// sends SIGUSR2) swapped for the test's, nothing else. After `logrotate -f`, the old lines are in
// dnsfwd.log.1 and the new ones in a fresh dnsfwd.log.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { spawnDnsfwd } from '../helpers/daemon.js';
import { fileLines, waitForFileMsg } from '../helpers/log-file.js';
import { freePort } from '../helpers/ports.js';
import { requireRoot, requireTool, ROOT } from '../helpers/tools.js';

requireRoot();
const LOGROTATE = requireTool('logrotate');
const LISTEN = '127.0.75.21';

/** `text` with `from` replaced by `to`, which must occur in it exactly `times` times. */
function swap(t: Test, text: string, from: string, to: string, times = 1): string {
  t.equal(text.split(from).length - 1, times, `the snippet has ${from} ${times} time(s)`);
  return text.split(from).join(to);
}

t.test('logrotate -f with the shipped snippet: the daemon writes to the new file', async (t) => {
  const dir = t.testdir({});
  const log = join(dir, 'dnsfwd.log');
  const d = spawnDnsfwd(['run', '--listen', `${LISTEN}:${await freePort(LISTEN)}`, '--lease-file', '/nonexistent/x.leases', '--log-file', log]);
  t.teardown(() => d.stop());
  await waitForFileMsg(log, 'dnsfwd started');

  let conf = readFileSync(join(ROOT, 'openrc/dnsfwd.logrotate'), 'utf8');
  conf = swap(t, conf, '/var/log/dnsfwd.log {', `${log} {`);
  conf = swap(t, conf, '/var/log/dnsfwd.err {', `${join(dir, 'dnsfwd.err')} {`);
  conf = swap(t, conf, 'create 0640 dnsfwd dnsfwd', 'create 0640 root root');
  conf = swap(t, conf, 'rc-service --ifstarted --quiet dnsfwd reopen', `kill -USR2 ${d.child.pid}`);
  const confFile = join(dir, 'logrotate.conf');
  writeFileSync(confFile, conf, { mode: 0o644 });
  const r = spawnSync(LOGROTATE, ['-f', '-s', join(dir, 'logrotate.state'), confFile], { encoding: 'utf8' });
  t.equal(r.status, 0, 'logrotate ran', { stdout: r.stdout, stderr: r.stderr });

  await waitForFileMsg(log, 'log file reopened');
  t.equal(statSync(log).mode & 0o777, 0o640, 'the new file as the snippet creates it');
  d.child.kill('SIGUSR1'); // a line after the reopen
  await waitForFileMsg(log, 'cache statistics');
  const old = fileLines(`${log}.1`).map((l) => l.msg);
  t.ok(old.includes('dnsfwd started'), 'the old lines are in dnsfwd.log.1 (delaycompress: not compressed yet)');
  t.notOk(old.includes('log file reopened'), 'and no line after the reopen');
  t.notOk(old.includes('cache statistics'));
  t.equal(await d.stop(), 0);
});
