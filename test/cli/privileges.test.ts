// dropPrivileges finds the user in /etc/passwd and becomes it when started as root. The process's
// uid functions are replaced by fakes here: nothing of the test process itself changes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { checkConfigReadable, dropPrivileges } from '../../src/cli/privileges.js';
import { isDnsfwdError } from '../../src/errors.js';
import { captureLog, LEVEL } from '../helpers/logger.js';

type Fakes = { getuid?: (() => number) | undefined; setgid?: unknown; setuid?: unknown; initgroups?: unknown };

/** Replaces the process's uid functions for this test; returns the switch calls they see. */
function fakeProcess(t: Test, uid: number | undefined, failing?: 'setuid'): string[] {
  const p = process as unknown as Fakes;
  const saved: Fakes = { getuid: p.getuid, setgid: p.setgid, setuid: p.setuid, initgroups: p.initgroups };
  const calls: string[] = [];
  p.getuid = uid === undefined ? undefined : () => uid;
  p.initgroups = (user: string, gid: number) => calls.push(`initgroups ${user} ${gid}`);
  p.setgid = (gid: number) => calls.push(`setgid ${gid}`);
  p.setuid = (id: number) => {
    if (failing === 'setuid') throw new Error('EPERM, Operation not permitted');
    calls.push(`setuid ${id}`);
  };
  t.teardown(() => Object.assign(p, saved));
  return calls;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndnsfwd:x:101:102::/nonexistent:/usr/sbin/nologin\n';

async function passwdFile(t: Test, text = PASSWD): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dnsfwd-passwd-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'passwd');
  await writeFile(file, text);
  return file;
}

/** What `f` throws (a DnsfwdError is expected). */
function thrown(f: () => void): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** As root with `passwd` as the passwd file: the switches dropPrivileges makes for each user, or "unknown". */
async function switchesFor(t: Test, passwd: string, users: string[]): Promise<string[]> {
  const calls = fakeProcess(t, 0);
  const file = await passwdFile(t, passwd);
  return users.map((user) => {
    calls.length = 0;
    const err = thrown(() => dropPrivileges(user, captureLog().logger, file));
    if (err !== undefined) return isDnsfwdError(err, 'USER_UNKNOWN') ? 'unknown' : String(err);
    return calls.join(', ');
  });
}

t.test('the user is found in /etc/passwd by name or by uid', async (t) => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\ndnsfwd:x:101:102::/nonexistent:/usr/sbin/nologin\nbroken\n';
  t.same(await switchesFor(t, passwd, ['dnsfwd', '101', 'nobody', 'broken']), [
    'initgroups dnsfwd 102, setgid 102, setuid 101',
    'initgroups dnsfwd 102, setgid 102, setuid 101',
    'unknown',
    'unknown',
  ]);
});

// A line whose uid or gid is not a number is no user (it would switch to NaN).
t.test('a passwd line with a non-numeric uid or gid is no user', async (t) => {
  const passwd = 'baduid:x:abc:102::/:/bin/sh\nbadgid:x:103:abc::/:/bin/sh\nok:x:104:105::/:/bin/sh\n';
  t.same(await switchesFor(t, passwd, ['baduid', 'badgid', 'abc', 'ok']), ['unknown', 'unknown', 'unknown', 'initgroups ok 105, setgid 105, setuid 104']);
});

// As root: the user's groups, then its gid, then its uid.
t.test('dropPrivileges as root becomes the user: groups, gid, uid', async (t) => {
  const calls = fakeProcess(t, 0);
  const log = captureLog();
  dropPrivileges('dnsfwd', log.logger, await passwdFile(t));
  t.same(calls, ['initgroups dnsfwd 102', 'setgid 102', 'setuid 101']);
  t.match(log.lines, [{ level: LEVEL.info, user: 'dnsfwd', uid: 101, gid: 102 }]);
});

// Not root: nothing to drop, whatever the config says (and no attempt that would fail); a user
// other than the one running is said at warn, not left silent.
t.test('dropPrivileges not as root leaves the user as it is, and warns when it is not the configured one', async (t) => {
  const calls = fakeProcess(t, 1000);
  const log = captureLog();
  const file = await passwdFile(t);
  dropPrivileges('dnsfwd', log.logger, file);
  t.same(calls, []);
  t.match(log.lines, [{ level: LEVEL.warn, user: 'dnsfwd', uid: 1000, msg: 'not running as root: cannot become the configured user; running as this uid' }]);
  dropPrivileges('nobody-here', log.logger, file);
  t.equal(log.lines.length, 2, 'a user that does not exist: warned too');
  dropPrivileges('1000', log.logger, file);
  dropPrivileges('', log.logger, file);
  t.equal(log.lines.length, 2, 'already that uid, or none configured: nothing said');
});

// Guards `entry.uid === uid`: started as the configured user (systemd's User=), there is nothing to say.
t.test('dropPrivileges as the configured user by name says nothing', async (t) => {
  fakeProcess(t, 101);
  const log = captureLog();
  dropPrivileges('dnsfwd', log.logger, await passwdFile(t));
  t.same(log.lines, []);
});

// Without getuid (not a POSIX platform) there is nothing to do and nothing to say.
t.test('dropPrivileges without process.getuid does nothing', async (t) => {
  const calls = fakeProcess(t, undefined);
  const log = captureLog();
  dropPrivileges('dnsfwd', log.logger, await passwdFile(t));
  t.same(calls, []);
  t.same(log.lines, []);
});

// Root without a user: allowed, with one warning.
t.test('dropPrivileges as root without a user warns and stays root', async (t) => {
  const calls = fakeProcess(t, 0);
  const log = captureLog();
  dropPrivileges('', log.logger, await passwdFile(t));
  t.same(calls, []);
  t.match(log.warnings(), [{ msg: /^running as root: set "user:"/ }]);
  t.equal(log.lines.length, 1);
});

// Each failure is a DnsfwdError an operator can act on, and nothing is switched.
t.test('dropPrivileges errors: unknown user, unreadable passwd file', async (t) => {
  const calls = fakeProcess(t, 0);
  const log = captureLog();
  const file = await passwdFile(t);
  const unknown = thrown(() => dropPrivileges('nobody', log.logger, file));
  t.ok(isDnsfwdError(unknown, 'USER_UNKNOWN'), 'an unknown user');
  t.match(unknown, { message: `user "nobody" does not exist (${file})` });
  const missing = `${file}.missing`;
  const unreadable = thrown(() => dropPrivileges('dnsfwd', log.logger, missing));
  t.ok(isDnsfwdError(unreadable, 'USER_UNKNOWN'), 'an unreadable passwd file');
  t.match(unreadable, { message: new RegExp(`^cannot read ${missing} to find user "dnsfwd": ENOENT`) });
  t.same(calls, []);
});

// A switch the system refuses is an error, not a daemon that runs on as root.
t.test('dropPrivileges error: a failed switch', async (t) => {
  fakeProcess(t, 0, 'setuid');
  const file = await passwdFile(t);
  const failed = thrown(() => dropPrivileges('dnsfwd', captureLog().logger, file));
  t.ok(isDnsfwdError(failed, 'USER_SWITCH'), 'a switch the system refuses');
  t.match(failed, { message: 'cannot become user "dnsfwd": EPERM, Operation not permitted' });
});

// Guards the catch: a config file that cannot be read now is said at start, not at the first SIGHUP.
t.test('checkConfigReadable: a warning for a config file that cannot be read; nothing for one that can, or none', async (t) => {
  const log = captureLog();
  const file = await passwdFile(t); // any readable file
  checkConfigReadable(file, log.logger);
  checkConfigReadable(undefined, log.logger);
  t.same(log.lines, [], 'readable, or the embedded default: nothing said');
  checkConfigReadable(`${file}.gone`, log.logger);
  t.match(log.lines, [{ level: LEVEL.warn, file: `${file}.gone`, reason: 'ENOENT' }]);
});
