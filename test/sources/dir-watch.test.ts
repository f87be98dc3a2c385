// DirectoryWatcher on real temp directories: what it announces (and not), the watched directory
// going away, closing at any point, chokidar's errors; splitWatchPath's name filters.
import { mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { DirectoryWatcher, splitWatchPath } from '../../src/sources/dir-watch.js';

/** Generous slack for what chokidar takes to report a change. */
const SLACK_MS = 10_000;
/** A poll that never comes within a test: only the watch itself can notice anything. */
const NO_POLL_MS = 3_600_000;

async function tempDir(t: Test): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'dnsfwd-dirwatch-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  return base;
}

function watcher(t: Test, dir: string, pollMs = NO_POLL_MS) {
  const changes: string[] = [];
  const errors: unknown[] = [];
  let wake = () => {};
  const w = new DirectoryWatcher({
    dir,
    accept: () => true,
    onChange: (what) => (changes.push(what), wake()),
    onError: (err) => errors.push(err),
    pollMs,
  });
  t.teardown(() => w.close());
  /** Resolves once a change matching `pred` was announced. */
  const announced = (pred: (what: string) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not announced within ${SLACK_MS} ms; got ${JSON.stringify(changes)}`)), SLACK_MS);
      const check = () => {
        if (!changes.some(pred)) return;
        clearTimeout(timer);
        resolve();
      };
      wake = check;
      check();
    });
  return { w, changes, errors, announced };
}

/** Active timers of this process (the directory poll is one). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

t.test('splitWatchPath: the root is no file; a hidden pattern matches hidden names; "." is literal', async (t) => {
  t.match(splitWatchPath('/'), { ok: false, reason: '"/": no file name' });
  // A pattern that starts with "." matches hidden files (only "*" alone skips them, as in the shell).
  const hidden = splitWatchPath('/run/x/.lease*');
  t.ok(hidden.ok && hidden.value.accept('.lease1'), '.lease* matches .lease1');
  // "." in a pattern is a dot, not any character.
  const p = splitWatchPath('/var/lib/dhcp/dhclient*.leases');
  t.ok(p.ok && !p.value.accept('dhclient.eth0Xleases'), 'dhclient*.leases does not match dhclient.eth0Xleases');
});

// start() on a directory that is there: nothing appeared, nothing to announce.
t.test('start() on an existing directory announces nothing', async (t) => {
  const dir = await tempDir(t);
  const { w, changes, announced } = watcher(t, dir);
  await w.start();
  t.same(changes, []);
  await writeFile(join(dir, 'a.lease'), 'x');
  await announced((c) => c.endsWith('a.lease'));
  t.notOk(changes.includes('directory appeared'));
});

// chokidar reports no unlinkDir for the watched directory itself: its own fs.watch 'rename' does.
t.test('the watched directory removed, or its parent: noticed without the poll', async (t) => {
  const base = await tempDir(t);
  for (const what of ['itself', 'its parent'] as const) {
    const dir = join(base, what === 'itself' ? 'a' : 'b', 'watched');
    await mkdir(dir, { recursive: true });
    const { w, changes, announced } = watcher(t, dir);
    await w.start();
    await (what === 'itself' ? rmdir(dir) : rm(join(dir, '..'), { recursive: true }));
    await announced((c) => c === 'directory removed or replaced');
    t.equal(changes.filter((c) => c === 'directory removed or replaced').length, 1, `${what}: announced once`);
  }
});

// close() while chokidar is still getting ready: chokidar never gets ready then, start() must end.
t.test('close() while the watch is getting ready ends start()', async (t) => {
  const dir = await tempDir(t);
  for (let i = 0; i < 200; i++) await writeFile(join(dir, `f${i}`), 'x');
  const { w } = watcher(t, dir);
  let started = false;
  const start = w.start().then(() => (started = true));
  const waitingForReady = () => (w as unknown as { abortReady?: unknown }).abortReady !== undefined;
  for (let i = 0; i < 10_000 && !waitingForReady(); i++) await new Promise((r) => setImmediate(r));
  t.ok(waitingForReady(), 'the watch is getting ready');
  await w.close();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([start, new Promise((r) => (timer = setTimeout(r, SLACK_MS)))]);
  clearTimeout(timer);
  t.ok(started, 'start() resolved');
});

// The poll is one interval, started once, and none after close().
t.test('start() twice starts one poll; start() after close() starts none', async (t) => {
  const dir = await tempDir(t);
  const before = timers();
  const a = watcher(t, dir, 60_000);
  await a.w.start();
  t.equal(timers(), before + 1, 'one poll');
  await a.w.start();
  t.equal(timers(), before + 1, 'still one');
  await a.w.close();
  t.equal(timers(), before, 'none after close()');
  const b = watcher(t, dir, 60_000);
  await b.w.close();
  await b.w.start();
  t.equal(timers(), before, 'closed first: none');
});

// chokidar's 'error' events (inotify limits, EMFILE…) reach onError, as Errors; nothing is thrown.
t.test("chokidar's errors reach onError as Errors", async (t) => {
  const dir = await tempDir(t);
  const { w, errors } = watcher(t, dir);
  await w.start();
  const chokidar = (w as unknown as { watcher: NodeJS.EventEmitter }).watcher;
  chokidar.emit('error', new Error('ENOSPC: System limit for number of file watchers reached'));
  chokidar.emit('error', 'EMFILE');
  t.equal(errors.length, 2);
  t.ok(errors.every((e) => e instanceof Error), 'Errors');
  t.same(errors.map((e) => (e as Error).message), ['ENOSPC: System limit for number of file watchers reached', 'EMFILE']);
});
