// notify.ts: NOTIFY_SOCKET is taken out of the environment, and systemd-notify is run with the
// socket, --ready and the status text; a missing or failing systemd-notify is one warning.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { notifyReady, takeNotifySocket } from '../../src/cli/notify.js';
import { captureLog } from '../helpers/logger.js';

/** Resolves when `child` has ended (an 'error' too is followed by 'close'). */
const closed = (child: ChildProcess | undefined) => new Promise((resolve) => child?.on('close', resolve));

/** A stand-in for systemd-notify: writes its arguments and $NOTIFY_SOCKET to a file, then runs `then`. */
async function fakeNotify(t: Test, then: string): Promise<{ command: string; record: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dnsfwd-notify-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const record = join(dir, 'record');
  const command = join(dir, 'systemd-notify');
  await writeFile(command, `#!/bin/sh\nprintf '%s\\n' "$NOTIFY_SOCKET" "$@" >'${record}'\n${then}\n`, { mode: 0o755 });
  return { command, record };
}

t.test('takeNotifySocket: the socket, gone from the environment', async (t) => {
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', PATH: '/bin' };
  t.equal(takeNotifySocket(env), '/run/systemd/notify');
  t.same(env, { PATH: '/bin' }, 'a child started with this environment cannot notify');
  t.equal(takeNotifySocket(env), undefined, 'none left');
  t.equal(takeNotifySocket({ NOTIFY_SOCKET: '' }), undefined, 'empty: none');
});

t.test('notifyReady runs systemd-notify --ready --status=TEXT with the socket', async (t) => {
  const { command, record } = await fakeNotify(t, 'exit 0');
  const log = captureLog();
  const child = notifyReady('@/org/test/notify', 'answering on 127.0.0.1:53', log.logger, command);
  t.ok(child, 'a child was started');
  await closed(child);
  t.equal(await readFile(record, 'utf8'), '@/org/test/notify\n--ready\n--status=answering on 127.0.0.1:53\n');
  t.same(log.warnings(), [], 'no warning');
});

t.test('notifyReady without a socket runs nothing', async (t) => {
  const log = captureLog();
  t.equal(notifyReady(undefined, 'x', log.logger, '/nonexistent/systemd-notify'), undefined);
  t.same(log.lines, []);
});

t.test('a failing systemd-notify is one warning with its error', async (t) => {
  const { command } = await fakeNotify(t, 'echo "Failed to notify init system: Connection refused" >&2; exit 1');
  const log = captureLog();
  await closed(notifyReady('/run/systemd/notify', 'x', log.logger, command));
  t.equal(log.warnings().length, 1);
  t.match(log.warnings()[0], { msg: 'could not tell the service manager that dnsfwd is ready', error: 'exit status 1: Failed to notify init system: Connection refused' });
});

t.test('a missing systemd-notify is one warning, not a crash', async (t) => {
  const log = captureLog();
  await closed(notifyReady('/run/systemd/notify', 'x', log.logger, '/nonexistent/systemd-notify'));
  t.equal(log.warnings().length, 1);
  t.match(log.warnings()[0], { command: '/nonexistent/systemd-notify', error: /ENOENT/ });
});
