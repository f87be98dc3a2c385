// LeaseFileSource on real files in a temp dir: appends through an open handle (like dhclient), in-place
// rewrites, renames, deletion, garbage, wildcards, directories appearing later, closing, optional sources.
import { mkdir, mkdtemp, open, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { splitWatchPath } from '../../src/sources/dir-watch.js';
import { createSource } from '../../src/sources/kinds.js';
import { LeaseFileSource, type LeaseFileOptions } from '../../src/sources/lease-file.js';
import { parseDhclient } from '../../src/sources/parsers/dhclient.js';
import { SOURCE_CHANGE } from '../../src/sources/source.js';
import { captureLog, LEVEL } from '../helpers/logger.js';
import { nextChange, show } from '../helpers/sources.js';
import { activeTimers, until, WAIT_MS } from '../helpers/wait.js';

const { debug: DEBUG, info: INFO } = LEVEL;

const lease = (dns: string, iface = 'eth0', expire = 'never'): string =>
  `lease {\n  interface "${iface}";\n  option domain-name-servers ${dns};\n  expire ${expire};\n}\n`;
/** A dhclient date (`W YYYY/MM/DD HH:MM:SS`, UTC) `ms` from now. */
const dhclientDate = (ms: number): string => {
  const d = new Date(Date.now() + ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDay()} ${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));



async function setup(t: Test, initial?: string, name = 'dhclient.leases', pattern = name, more: Partial<LeaseFileOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'dnsfwd-lease-'));
  const file = join(dir, name);
  if (initial !== undefined) await writeFile(file, initial);
  const log = captureLog();
  const src = new LeaseFileSource({ path: join(dir, pattern), parse: parseDhclient, kind: 'dhclient', logger: log.logger, ...more });
  t.teardown(async () => {
    await src.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, file, src, log };
}

t.test('initial read: servers, a change event and an info line', async (t) => {
  const { file, src, log } = await setup(t, lease('10.0.0.1,10.0.0.2'));
  const first = nextChange(src);
  await src.start();
  t.same(await first, ['10.0.0.1:53', '10.0.0.2:53']);
  t.same(show(src.servers()), ['10.0.0.1:53', '10.0.0.2:53']);
  t.equal(src.name, `dhclient:${file}`);
  // The daemon logs the route's change at info; the source's own line is debug.
  const info = log.lines.filter((l) => l.level === DEBUG && l.msg === 'servers changed');
  t.match(info, [{ source: src.name, old: [], new: ['10.0.0.1:53', '10.0.0.2:53'] }]);
  t.equal(info.length, 1);
  t.same(log.warnings(), []);
});

t.test('appends through a handle kept open (dhclient): MODIFY without close', async (t) => {
  const { file, src, log } = await setup(t, '');
  const fh = await open(file, 'a');
  t.teardown(() => fh.close());
  await fh.write(lease('10.0.0.1'));
  await src.start();
  t.same(show(src.servers()), ['10.0.0.1:53']);
  let changed = nextChange(src);
  await fh.write(lease('10.0.0.3'));
  t.same(await changed, ['10.0.0.3:53'], 'the appended block wins');
  changed = nextChange(src);
  await fh.write(lease('10.0.0.4,10.0.0.3'));
  t.same(await changed, ['10.0.0.4:53', '10.0.0.3:53']);
  const last = log.lines.filter((l) => l.msg === 'servers changed').at(-1);
  t.match(last, { level: DEBUG, source: src.name, old: ['10.0.0.3:53'], new: ['10.0.0.4:53', '10.0.0.3:53'] });
  t.same(log.warnings(), []);
});

t.test('truncate and rewrite in place: no warning for the moment the file is empty', async (t) => {
  const { file, src, log } = await setup(t, lease('10.0.0.1') + lease('10.0.0.2'));
  await src.start();
  t.same(show(src.servers()), ['10.0.0.2:53']);
  const changed = nextChange(src);
  const fh = await open(file, 'r+');
  await fh.truncate(0);
  await sleep(20);
  await fh.write(lease('10.0.0.5'), 0);
  await fh.close();
  t.same(await changed, ['10.0.0.5:53']);
  t.same(log.warnings(), []);
});

t.test('rename replacement (write a temp file, mv over), twice', async (t) => {
  const { dir, file, src } = await setup(t, lease('10.0.0.1'));
  await src.start();
  for (const dns of ['10.0.0.6', '10.0.0.7']) {
    const changed = nextChange(src);
    await writeFile(join(dir, '.tmp'), lease(dns));
    await rename(join(dir, '.tmp'), file);
    t.same(await changed, [`${dns}:53`], `after mv: ${dns}`);
  }
});

t.test('deletion keeps the last good servers and warns once; re-creation is read', async (t) => {
  const { file, src, log } = await setup(t, lease('10.0.0.1'));
  await src.start();
  let changes = 0;
  src.on(SOURCE_CHANGE, () => changes++);
  await unlink(file);
  await until('a warning about the deleted file', () => log.warnings().length > 0);
  t.match(log.warnings(), [{ source: src.name, file, reason: /deleted/ }]);
  t.same(show(src.servers()), ['10.0.0.1:53'], 'last good kept');
  const changed = nextChange(src);
  await writeFile(file, lease('10.0.0.8'));
  t.same(await changed, ['10.0.0.8:53']);
  t.equal(changes, 1, 'the deletion itself changed nothing');
  t.equal(log.warnings().length, 1, 'warned once');
  t.ok(log.lines.some((l) => l.level === INFO && l.msg === 'source file usable again' && l.file === file));
});

t.test('garbage and empty files keep the last good servers, one warning per distinct problem', async (t) => {
  const parsed: string[] = [];
  const parse = (text: string) => (parsed.push(text), parseDhclient(text));
  const { file, src, log } = await setup(t, lease('10.0.0.1'), undefined, undefined, { parse });
  await src.start();
  await writeFile(file, 'this is not a lease file\n');
  await until('a warning about garbage', () => log.warnings().length > 0);
  t.match(log.warnings(), [{ source: src.name, file, reason: 'no lease { } block found' }]);
  await writeFile(file, 'still not { a lease };\n');
  await until('the second garbage read', () => parsed.includes('still not { a lease };\n'));
  t.equal(log.warnings().length, 1, 'the same problem does not warn again');
  await writeFile(file, '');
  await until('a warning about the empty file', () => log.warnings().length > 1);
  t.same(show(src.servers()), ['10.0.0.1:53'], 'last good kept');
  const changed = nextChange(src);
  await writeFile(file, lease('10.0.0.9'));
  t.same(await changed, ['10.0.0.9:53']);
  t.same(
    log.warnings().map((w) => w.reason),
    ['no lease { } block found', 'empty file'],
  );
});

t.test('a missing file warns, and is read when it appears', async (t) => {
  const { file, src, log } = await setup(t);
  await src.start();
  t.same(src.servers(), []);
  await until('a warning about the missing file', () => log.warnings().length > 0);
  t.match(log.warnings(), [{ file, reason: 'the file does not exist' }]);
  const changed = nextChange(src);
  await writeFile(file, lease('10.0.0.2'));
  t.same(await changed, ['10.0.0.2:53']);
});

t.test('wildcard: union over matching files sorted by name, files appearing later', async (t) => {
  const { dir, src, log } = await setup(t, lease('10.0.0.1'), 'dhclient.eth0.leases', 'dhclient*.leases');
  await writeFile(join(dir, 'other.leases'), lease('10.9.9.9'));
  await src.start();
  t.same(show(src.servers()), ['10.0.0.1:53'], 'other.leases does not match');
  let changed = nextChange(src);
  await writeFile(join(dir, 'dhclient.eth1.leases'), lease('10.1.0.1, 10.0.0.1', 'eth1'));
  t.same(await changed, ['10.0.0.1:53', '10.1.0.1:53']);
  changed = nextChange(src);
  await writeFile(join(dir, 'dhclient.a.leases'), lease('10.2.0.1', 'a'));
  t.same(await changed, ['10.2.0.1:53', '10.0.0.1:53', '10.1.0.1:53'], 'dhclient.a sorts first');
  await writeFile(join(dir, 'dhclient.eth1.leases.tmp'), lease('10.8.8.8'));
  await writeFile(join(dir, 'other.leases'), lease('10.9.9.8'));
  changed = nextChange(src);
  await writeFile(join(dir, 'dhclient.eth0.leases'), lease('10.0.0.2'));
  t.same(await changed, ['10.2.0.1:53', '10.0.0.2:53', '10.1.0.1:53', '10.0.0.1:53'], 'non-matching files never count');
  t.same(log.warnings(), []);
});

t.test('expiry counts across files: an expired file yields to a live one, and is used when nothing else is left', async (t) => {
  const { dir, src, log } = await setup(t, lease('10.5.0.1', 'enp0s3', dhclientDate(-86400_000)), 'dhclient.a.leases', 'dhclient*.leases');
  await writeFile(join(dir, 'dhclient.b.leases'), lease('10.5.0.2', 'eth0', dhclientDate(86400_000)));
  await src.start();
  t.same(show(src.servers()), ['10.5.0.2:53'], 'the expired lease of dhclient.a (sorted first) does not count');
  const changed = nextChange(src);
  await writeFile(join(dir, 'dhclient.b.leases'), lease('10.5.0.2', 'eth0', dhclientDate(-3600_000)));
  t.same(await changed, ['10.5.0.1:53', '10.5.0.2:53'], 'all expired: every last lease counts again');
  t.same(log.warnings(), []);
});

t.test('a lease that expires while its file stays unchanged stops counting then', async (t) => {
  const { file, src } = await setup(t, lease('10.6.0.1', 'eth0', dhclientDate(1500)) + lease('10.6.0.2', 'eth1'));
  await src.start();
  t.same(show(src.servers()), ['10.6.0.1:53', '10.6.0.2:53']);
  const changed = nextChange(src);
  t.same(await changed, ["10.6.0.2:53"], "eth0's servers go when its lease expires, the file unchanged");
  t.match(file, /dhclient\.leases$/);
});

t.test('symbolic links: a dangling one keeps the last servers; a valid one replacing it is read', async (t) => {
  const { dir, file, src, log } = await setup(t, lease('10.7.0.1'));
  await src.start();
  await writeFile(join(dir, 'target'), lease('10.7.0.2'));
  await unlink(file);
  await symlink(join(dir, 'missing'), file);
  await until('a warning', () => log.warnings().length > 0);
  // A dangling link reads as ENOENT: for a file read before, that is a deletion, not "does not exist".
  t.match(log.warnings(), [{ file, reason: 'the file was deleted; keeping its last servers' }]);
  t.same(show(src.servers()), ['10.7.0.1:53'], 'dangling: last good kept');
  const changed = nextChange(src);
  await symlink(join(dir, 'target'), `${file}.new`);
  await rename(`${file}.new`, file); // ln -sfn
  t.same(await changed, ['10.7.0.2:53'], 'the valid link is followed');
});

t.test('a directory in place of the file is named as such', async (t) => {
  const { file, src, log } = await setup(t, lease('10.7.1.1'));
  await src.start();
  await unlink(file);
  await mkdir(file);
  await until('a warning', () => log.warnings().length > 0);
  t.match(log.warnings(), [{ file, reason: 'it is a directory, not a file' }]);
  t.same(show(src.servers()), ['10.7.1.1:53']);
});

t.test('optional: a missing file is info, not a warning, and is read when it appears', async (t) => {
  const { file, src, log } = await setup(t, undefined, 'dhclient.leases', 'dhclient.leases', { optional: true });
  await src.start();
  await until('an info line', () => log.lines.some((l) => l.msg === 'source not present: watching for it'));
  t.same(log.warnings(), []);
  const changed = nextChange(src);
  await writeFile(file, lease('10.8.0.1'));
  t.same(await changed, ['10.8.0.1:53']);
  await until('an appearance', () => log.lines.some((l) => l.msg === 'source appeared'));
  t.notOk(log.lines.some((l) => l.msg === 'source file usable again'), 'it appeared: it was never unusable');
  await writeFile(file, 'garbage');
  await until('a warning', () => log.warnings().length > 0);
  t.match(log.warnings(), [{ reason: 'no lease { } block found' }], 'garbage in an optional source is still a warning');
});

t.test('forgetDeleted (networkd): a deleted lease takes its servers with it; hidden temporary files are not read', async (t) => {
  const { dir, src, log } = await setup(t, lease('10.9.0.1', 'a'), '2', '*', { forgetDeleted: true });
  await writeFile(join(dir, '3'), lease('10.9.0.2', 'b'));
  await src.start();
  t.same(show(src.servers()), ['10.9.0.1:53', '10.9.0.2:53']);
  await writeFile(join(dir, '.#4tmp'), lease('10.9.0.9', 'c'));
  const changed = nextChange(src);
  await unlink(join(dir, '2'));
  t.same(await changed, ['10.9.0.2:53'], "the link's servers go, the hidden file never counted");
  t.ok(log.lines.some((l) => l.msg === 'lease file deleted (the link went down): its servers go'));
  t.same(log.warnings(), []);
});

t.test('wildcard in an empty directory: warns that nothing matches, then picks up a new file', async (t) => {
  const { dir, src, log } = await setup(t, undefined, 'x', 'dhclient*.leases');
  await src.start();
  await until('a warning', () => log.warnings().length > 0);
  t.match(log.warnings(), [{ reason: 'no file matches' }]);
  const changed = nextChange(src);
  await writeFile(join(dir, 'dhclient.leases'), lease('10.3.0.1'));
  t.same(await changed, ['10.3.0.1:53']);
});

t.test('a directory created later, removed, and created again', async (t) => {
  const { dir, src, log } = await setup(t, undefined, join('lib', 'dhcp', 'dhclient.leases'));
  const sub = join(dir, 'lib');
  const file = join(sub, 'dhcp', 'dhclient.leases');
  await src.start();
  t.same(src.servers(), []);
  await until('a warning about the directory', () => log.warnings().length > 0);
  t.match(log.warnings(), [{ file: join(sub, 'dhcp'), reason: 'the directory does not exist' }]);
  let changed = nextChange(src);
  await mkdir(join(sub, 'dhcp'), { recursive: true });
  await writeFile(file, lease('10.4.0.1'));
  t.same(await changed, ['10.4.0.1:53'], 'read once the directory appears (the missing directory is polled)');
  changed = nextChange(src);
  await writeFile(file, lease('10.4.0.2'));
  t.same(await changed, ['10.4.0.2:53'], 'and then watched');
  await rm(sub, { recursive: true });
  await until('a second warning', () => log.warnings().length > 1);
  t.same(show(src.servers()), ['10.4.0.2:53'], 'last good kept');
  changed = nextChange(src);
  await mkdir(join(sub, 'dhcp'), { recursive: true });
  await writeFile(file, lease('10.4.0.3'));
  t.same(await changed, ['10.4.0.3:53'], 'a re-created directory is watched again');
  await rm(sub, { recursive: true });
  await mkdir(join(sub, 'dhcp'), { recursive: true }); // ext4 may give it the old inode number
  await writeFile(file, lease('10.4.0.4'));
  await until('10.4.0.4', () => show(src.servers()).includes('10.4.0.4:53'));
  changed = nextChange(src);
  await writeFile(file, lease('10.4.0.5'));
  t.same(await changed, ['10.4.0.5:53'], 'a directory replaced at once is watched again');
});

t.test('close() is idempotent and stops watching', async (t) => {
  const { file, src } = await setup(t, lease('10.0.0.1'));
  await src.start();
  let changes = 0;
  src.on(SOURCE_CHANGE, () => changes++);
  const a = src.close();
  const b = src.close();
  t.equal(a, b, 'the same promise');
  await Promise.all([a, b, src.close()]);
  // A second source on the file, which waits four times as long after a change: once it has
  // seen the write, the closed one would have seen it too.
  const observer = new LeaseFileSource({ path: file, parse: parseDhclient, kind: 'dhclient', logger: captureLog().logger, debounceMs: 400 });
  t.teardown(() => observer.close());
  await observer.start();
  const seen = nextChange(observer);
  await writeFile(file, lease('10.0.0.2'));
  t.same(await seen, ['10.0.0.2:53'], 'the write was seen by a source still open');
  t.equal(changes, 0, 'no change after close');
  t.same(show(src.servers()), ['10.0.0.1:53']);
});

t.test('close() before start() finishes', async (t) => {
  const { src } = await setup(t, undefined, join('missing', 'dhclient.leases'));
  const started = src.start();
  await src.close();
  await started;
  t.same(src.servers(), []);
});

t.test('paths: "*" only in the last component; the dhclient factory', async (t) => {
  t.match(splitWatchPath('/var/lib/dhcp/dhclient*.leases'), { ok: true, value: { dir: '/var/lib/dhcp', wildcard: true } });
  const p = splitWatchPath('/var/lib/dhcp/dhclient*.leases');
  t.ok(p.ok && p.value.accept('dhclient.eth0.leases') && !p.value.accept('dhclient.eth0.leases~'));
  t.ok(p.ok && !p.value.accept('xdhclient.leases'));
  t.match(splitWatchPath('/var/lib/*/dhclient.leases'), { ok: false, reason: /only allowed in the file name/ });
  const dhclient = (path: string) => createSource({ kind: 'dhclient', path, optional: false }, captureLog().logger);
  t.throws(() => dhclient('/run/*/x.leases'), TypeError);
  // The constructor's own check names the problem (not a TypeError from what follows it).
  t.throws(() => dhclient('/run/*/x.leases'), { name: 'TypeError', message: '"/run/*/x.leases": "*" is only allowed in the file name' });
  const src = dhclient('/nonexistent/dhclient.leases');
  t.equal(src.name, 'dhclient:/nonexistent/dhclient.leases');
  await src.close();
});

/** A parser that records what it was given. */
function recording() {
  const parsed: string[] = [];
  return { parsed, parse: (text: string) => (parsed.push(text), parseDhclient(text)) };
}

// start() is idempotent: a second call is the same start, not a second read.
t.test('start() twice is one start: the files are read once', async (t) => {
  const { parsed, parse } = recording();
  const { src } = await setup(t, lease('10.0.0.1'), undefined, undefined, { parse });
  const a = src.start();
  const b = src.start();
  t.equal(a, b, 'the same promise');
  await Promise.all([a, b]);
  t.equal(parsed.length, 1, 'read once');
});

// The debounce waits for quiet, but at most 4× debounceMs: a file written to without pause is still read.
t.test('a file written to without pause is read while the writes go on', async (t) => {
  const { file, src } = await setup(t, lease('10.0.0.1'));
  await src.start();
  let changed = false;
  const change = nextChange(src).then(() => (changed = true));
  const fh = await open(file, 'a');
  t.teardown(() => fh.close());
  let writes = 0;
  for (; !changed && writes < 500; writes++) {
    await fh.write(lease(`10.0.1.${writes % 250}`));
    await sleep(20); // a writer that never pauses for the 100 ms the debounce waits for
  }
  t.ok(changed, `read while the writer was still writing (after ${writes} writes)`);
  await change;
});

// A parser that throws (a bug) must not stop the source: the error is logged, the next write is read.
t.test('a parser that throws is logged, and the next version of the file is read', async (t) => {
  const parse = (text: string) => {
    if (text === 'boom') throw new Error('parser bug');
    return parseDhclient(text);
  };
  const { file, src, log } = await setup(t, 'boom', undefined, undefined, { parse });
  await src.start();
  t.match(log.lines.filter((l) => l.msg === 'scan failed'), [{ source: src.name, err: { message: 'parser bug' } }]);
  const changed = nextChange(src);
  await writeFile(file, lease('10.0.0.3'));
  t.same(await changed, ['10.0.0.3:53']);
});

// close() right after start(): the listing comes back to a closed source, which reads nothing.
t.test('close() right after start(): no file is read', async (t) => {
  const { parsed, parse } = recording();
  const { src } = await setup(t, lease('10.0.0.1'), undefined, undefined, { parse });
  const started = src.start();
  await src.close();
  await started;
  t.same(parsed, []);
  t.same(src.servers(), []);
});

// close() in the middle of a read: what that read found is not announced.
t.test('close() during a read: nothing is announced', async (t) => {
  let closeNow = () => {};
  const parse = (text: string) => (closeNow(), parseDhclient(text));
  const { src } = await setup(t, lease('10.0.0.1'), undefined, undefined, { parse });
  closeNow = () => void src.close();
  let changes = 0;
  src.on(SOURCE_CHANGE, () => changes++);
  await src.start();
  await src.close();
  t.equal(changes, 0, 'no change event');
  t.same(src.servers(), []);
});

// For an optional source too, a file read before that is gone (here a dangling link) is a warning.
t.test('optional: a file read before that becomes a dangling link is a warning', async (t) => {
  const { dir, file, src, log } = await setup(t, lease('10.7.2.1'), undefined, undefined, { optional: true });
  await src.start();
  await unlink(file);
  await symlink(join(dir, 'missing'), file);
  await until('a warning', () => log.warnings().length > 0);
  t.match(log.warnings(), [{ file, reason: 'the file was deleted; keeping its last servers' }]);
});

// Only absence is info for an optional source: a directory in place of its file is a warning.
t.test('optional: a directory in place of the file is a warning', async (t) => {
  const { file, src, log } = await setup(t, undefined, 'dhclient.leases', 'dhclient.leases', { optional: true });
  await mkdir(file);
  await src.start();
  await until('a warning', () => log.warnings().length > 0);
  t.match(log.warnings(), [{ file, reason: 'it is a directory, not a file' }]);
});

// The embedded default watches every client's directory: a missing one is info, not a warning.
t.test('optional: a missing directory is info, not a warning', async (t) => {
  const { dir, src, log } = await setup(t, undefined, join('missing', 'dhclient.leases'), undefined, { optional: true });
  await src.start();
  const line = await log.next((l) => l.msg === 'source not present: watching for it', 0, WAIT_MS);
  t.match(line, { level: INFO, file: join(dir, 'missing'), reason: 'the directory does not exist' });
  t.same(log.warnings(), []);
});

// A matching file that holds nothing usable is a problem of that file, not "no file matches".
t.test('wildcard: an unusable matching file is named; the pattern is not said to match nothing', async (t) => {
  const { file, src, log } = await setup(t, 'garbage', 'dhclient.eth0.leases', 'dhclient*.leases');
  await src.start();
  await until('a warning', () => log.warnings().length > 0);
  const changed = nextChange(src);
  await writeFile(file, lease('10.3.1.1'));
  t.same(await changed, ['10.3.1.1:53']);
  t.same(log.warnings().map((w) => w.reason), ['no lease { } block found']);
});

// Per-link routing follows the lease's domains: a new domain with the same servers is a change.
t.test('a lease whose domain changes (same servers) is a change', async (t) => {
  const withDomain = (d: string) => `lease {\n  interface "eth0";\n  option domain-name-servers 10.0.0.1;\n  option domain-name "${d}";\n}\n`;
  const { file, src } = await setup(t, withDomain('a.test'));
  await src.start();
  t.same(src.leases().map((l) => l.domains), [['a.test']]);
  const changed = nextChange(src);
  await writeFile(file, withDomain('b.test'));
  t.same(await changed, ['10.0.0.1:53']);
  t.same(src.leases().map((l) => l.domains), [['b.test']]);
});

// The expiry timer is set only for an expiry, and at most 2^31-1 ms ahead (setTimeout's limit):
// otherwise it would fire every millisecond. Each choice of leases looks at the clock once.
t.test('no lease expiry, or one 100 days away: the clock is read once per read of the file', async (t) => {
  for (const expire of ['never', dhclientDate(100 * 86_400_000)]) {
    const { parsed, parse } = recording();
    let looks = 0;
    const now = () => (looks++, Date.now());
    const { file, src } = await setup(t, lease('10.0.0.1', 'eth0', expire), undefined, undefined, { parse, now });
    await src.start();
    const changed = nextChange(src);
    await writeFile(file, lease('10.0.0.2', 'eth0', expire));
    await changed;
    t.equal(looks, parsed.length, `expire ${expire}: one look at the clock per read`);
  }
});

// "No file matches" a wildcard is reported for the pattern; the first matching file ends it.
t.test('optional wildcard: nothing matches, then a file does: the pattern appeared', async (t) => {
  const { dir, src, log } = await setup(t, undefined, 'dhclient.eth0.leases', 'dhclient*.leases', { optional: true });
  const pattern = join(dir, 'dhclient*.leases');
  await src.start();
  await until('an info line', () => log.lines.some((l) => l.msg === 'source not present: watching for it'));
  t.match(log.lines.filter((l) => l.msg === 'source not present: watching for it'), [{ file: pattern, reason: 'no file matches' }]);
  const changed = nextChange(src);
  await writeFile(join(dir, 'dhclient.eth0.leases'), lease('10.8.1.1'));
  t.same(await changed, ['10.8.1.1:53']);
  await until('an appearance', () => log.lines.some((l) => l.msg === 'source appeared'));
  t.match(log.lines.filter((l) => l.msg === 'source appeared'), [{ file: pattern }]);
});

/** The source's scan, called directly: what a change event and the debounce end in. */
const scanOf = (src: LeaseFileSource) => (src as unknown as { runScan(): Promise<void> }).runScan();

// One scan at a time: requests during a scan join it and get one more scan after it.
t.test('scans requested during a scan join it, and one more scan follows', async (t) => {
  const parsed: string[] = [];
  const parse = (text: string) => (parsed.push(text), parseDhclient(text));
  const { src } = await setup(t, lease('10.0.0.1'), undefined, undefined, { parse });
  await src.start();
  parsed.length = 0;
  const first = scanOf(src);
  const second = scanOf(src);
  const third = scanOf(src);
  t.equal(second, first, 'the second request joins the scan in progress');
  t.equal(third, first, 'so does the third');
  await first;
  t.equal(parsed.length, 2, 'the scan, then one more for the requests made during it');
});


// A problem found while the source is closing asks for no second read: no timer outlives close().
t.test('close() during a scan that finds a problem leaves no timer behind', async (t) => {
  let closing: Promise<void> | undefined;
  let src: LeaseFileSource | undefined;
  const parse = () => {
    closing = src!.close();
    return { ok: false as const, reason: 'broken' };
  };
  const before = activeTimers();
  src = (await setup(t, 'x', undefined, undefined, { parse })).src;
  await src.start();
  t.ok(closing, 'closed from within the scan');
  await closing;
  // At most as many as before (another test's timer may have ended meanwhile), not one more.
  t.ok(activeTimers() <= before, 'no debounce timer for a second read');
});

t.test("view(): the files read, when what the source gives last changed, the current leases with their file", async (t) => {
  const { dir, src } = await setup(t, lease('10.0.0.1', 'eth0', dhclientDate(3_600_000)).replace('expire', 'option domain-name "lab.test";\n  expire'), 'dhclient.eth0.leases', 'dhclient*.leases');
  const before = src.view();
  t.same([before.files, before.changedAt, before.leases], [[], null, []], 'nothing read yet');
  const t0 = Date.now();
  await src.start();
  const v = src.view();
  t.equal(v.name, src.name);
  t.equal(v.kind, 'dhclient');
  t.equal(v.path, join(dir, 'dhclient*.leases'));
  t.same(v.files, [join(dir, 'dhclient.eth0.leases')]);
  t.ok(v.changedAt !== null && v.changedAt >= t0, 'the first read changed what it gives');
  t.same(show(v.servers), ['10.0.0.1:53']);
  t.match(v.leases, [{ link: 'dhclient.eth0.leases/4/eth0', file: join(dir, 'dhclient.eth0.leases'), domains: ['lab.test'] }]);
  t.ok(Math.abs(v.leases[0]!.expires! - (t0 + 3_600_000)) < 5_000, 'the lease expiry');
  // A rewrite that gives the same leases is no change; one that gives others is.
  const first = v.changedAt!;
  await sleep(5);
  const changed = nextChange(src);
  await writeFile(join(dir, 'dhclient.eth1.leases'), lease('10.1.0.1', 'eth1'));
  await changed;
  const after = src.view();
  t.same(after.files, [join(dir, 'dhclient.eth0.leases'), join(dir, 'dhclient.eth1.leases')]);
  t.ok(after.changedAt! > first, 'changed again');
});
