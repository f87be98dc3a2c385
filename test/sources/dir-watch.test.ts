// DirectoryWatcher on real temp directories: what it announces (and not), the watched directory
// going away, closing at any point, chokidar's errors; splitWatchPath's name filters.
import { mkdir, mkdtemp, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { DirectoryWatcher, splitWatchPath } from '../../src/sources/dir-watch.js';
import { activeTimers, until } from '../helpers/wait.js';

/** Generous slack for what chokidar takes to report a change. */
const SLACK_MS = 10_000;
/** A poll that never comes within a test: only the watch itself can notice anything. */
const NO_POLL_MS = 3_600_000;

async function tempDir(t: Test): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'dnsfwd-dirwatch-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  return base;
}

/** What the watcher holds: chokidar's watcher, the wait for its 'ready', the check in progress. */
const inside = (w: DirectoryWatcher) =>
  w as unknown as { watcher?: NodeJS.EventEmitter; abortReady?: unknown; checking?: Promise<void> };

function watcher(t: Test, dir: string, pollMs = NO_POLL_MS, accept: (name: string) => boolean = () => true) {
  const changes: string[] = [];
  const errors: unknown[] = [];
  let wake = () => {};
  const w = new DirectoryWatcher({
    dir,
    accept,
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
  await until('getting ready', () => inside(w).abortReady !== undefined, SLACK_MS, 0);
  await w.close();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([start, new Promise((r) => (timer = setTimeout(r, SLACK_MS)))]);
  clearTimeout(timer);
  t.ok(started, 'start() resolved');
});

// The poll is one interval, started once, and none after close().
t.test('start() twice starts one poll; start() after close() starts none', async (t) => {
  const dir = await tempDir(t);
  const before = activeTimers();
  const a = watcher(t, dir, 60_000);
  await a.w.start();
  t.equal(activeTimers(), before + 1, 'one poll');
  await a.w.start();
  t.equal(activeTimers(), before + 1, 'still one');
  await a.w.close();
  t.equal(activeTimers(), before, 'none after close()');
  const b = watcher(t, dir, 60_000);
  await b.w.close();
  await b.w.start();
  t.equal(activeTimers(), before, 'closed first: none');
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

// Removed, then created again: one announcement each, and nothing while it is missing (the watcher
// does not watch a directory that is not there, which would announce a second removal later).
t.test('a directory removed and created again: announced once each', async (t) => {
  const base = await tempDir(t);
  const dir = join(base, 'watched');
  await mkdir(dir);
  const { w, changes, announced } = watcher(t, dir, 20);
  await w.start();
  await rmdir(dir);
  await announced((c) => c === 'directory removed or replaced');
  await mkdir(dir);
  await announced((c) => c === 'directory appeared');
  await writeFile(join(dir, 'a.lease'), 'x');
  await announced((c) => c.endsWith('a.lease'));
  t.same(changes.filter((c) => c.startsWith('directory')), ['directory removed or replaced', 'directory appeared']);
});

// close() while start() is still looking at the directory: nothing is watched afterwards.
t.test('close() during the first look at the directory: no watch is started', async (t) => {
  const dir = await tempDir(t);
  const { w } = watcher(t, dir);
  const start = w.start();
  await w.close();
  await start;
  t.equal(inside(w).watcher, undefined, 'no chokidar watcher left running');
});

// close() while a directory that appeared is getting watched: no "appeared" after close().
t.test('close() while a directory that appeared is getting ready: not announced', async (t) => {
  const base = await tempDir(t);
  const dir = join(base, 'later');
  const { w, changes } = watcher(t, dir, 20);
  await w.start();
  const staging = join(base, 'staging'); // appears with its files at once: chokidar takes a while to be ready
  await mkdir(staging);
  for (let i = 0; i < 500; i++) await writeFile(join(staging, `f${i}`), 'x');
  await rename(staging, dir);
  await until('getting ready', () => inside(w).abortReady !== undefined, SLACK_MS, 0);
  const check = inside(w).checking;
  await w.close();
  await check;
  t.same(changes, [], 'nothing announced');
});

// The name filter applies to chokidar's raw events too; a raw event without a usable name is ignored.
t.test('raw events: only accepted names are announced; no name, no announcement', async (t) => {
  const dir = await tempDir(t);
  const { w, changes, announced } = watcher(t, dir, NO_POLL_MS, (n) => n.endsWith('.lease'));
  await w.start();
  await writeFile(join(dir, 'other.txt'), 'x');
  await writeFile(join(dir, 'a.lease'), 'x');
  await announced((c) => c.endsWith('a.lease'));
  t.same(changes.filter((c) => c.includes('other.txt')), [], 'other.txt is not announced');
  // A filter that takes every name (networkd's `*` takes even ""):
  const all = watcher(t, dir);
  await all.w.start();
  const chokidar = inside(all.w).watcher!;
  chokidar.emit('raw', 'rename', null, { watchedPath: dir });
  chokidar.emit('raw', 'rename', '', { watchedPath: dir });
  t.same(all.changes, [], 'nothing announced, nothing thrown');
});
