// Watches one directory (chokidar 5, depth 0) for the files a path or `name*` pattern names, and
// survives the directory being missing at start, removed or re-created: it polls until it exists.
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { ParseResult } from '../address.js';

export interface WatchPath {
  readonly dir: string;
  readonly wildcard: boolean;
  readonly accept: (name: string) => boolean;
}

/** Splits a source path into its directory and a name filter; `*` only in the last component. */
export function splitWatchPath(path: string): ParseResult<WatchPath> {
  const full = resolve(path);
  const dir = dirname(full);
  const name = basename(full);
  if (dir.includes('*')) return { ok: false, reason: `"${path}": "*" is only allowed in the file name` };
  if (name === '') return { ok: false, reason: `"${path}": no file name` }; // only the root has none
  if (!name.includes('*')) return { ok: true, value: { dir, wildcard: false, accept: (n) => n === name } };
  const re = new RegExp(`^${name.split('*').map(escapeRegExp).join('.*')}$`);
  // As in the shell, `*` does not match a leading dot: writers' temporary files (networkd's `.#2…`) stay out.
  const hidden = name.startsWith('.');
  return { ok: true, value: { dir, wildcard: true, accept: (n) => (hidden || !n.startsWith('.')) && re.test(n) } };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

export interface DirectoryWatcherOptions {
  readonly dir: string;
  /** Which entries of `dir` matter (by name). */
  readonly accept: (name: string) => boolean;
  /** Called for any change that may alter the accepted files: add, change, unlink, dir (re)appearing. */
  readonly onChange: (what: string) => void;
  readonly onError: (err: Error) => void;
  /** How often to look for a missing directory. */
  readonly pollMs: number;
}

export class DirectoryWatcher {
  readonly dir: string;
  private readonly opts: DirectoryWatcherOptions;
  private watcher: FSWatcher | undefined;
  /** Identity (device, inode, birth time) of the directory chokidar watches. */
  private watchedId: string | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;
  private checking: Promise<void> | undefined;
  /** Ends a wait for chokidar's 'ready' when close() comes first. */
  private abortReady: (() => void) | undefined;

  constructor(opts: DirectoryWatcherOptions) {
    this.opts = opts;
    this.dir = resolve(opts.dir);
  }

  /** Resolves once chokidar is ready, or at once if the directory is missing (it is polled for). */
  async start(): Promise<void> {
    if (this.closed || this.poll) return;
    // chokidar does not always report the watched directory's own removal (no unlinkDir after
    // `rm -r` of its parent): a stat per interval notices, and notices a missing one appearing.
    this.poll = setInterval(() => void this.check(true), this.opts.pollMs);
    await this.check(false);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    this.abortReady?.();
    await this.unwatch();
  }

  /** Compares the directory's inode with the watched one; (re)starts or stops chokidar to match. */
  private check(announce: boolean): Promise<void> {
    this.checking ??= (async () => {
      const id = await directoryId(this.dir);
      // The same directory still watched, or still missing (nothing is watched after close()).
      if (id === this.watchedId) return;
      if (this.watcher !== undefined) {
        await this.unwatch();
        if (!this.closed) this.opts.onChange('directory removed or replaced');
      }
      if (id === undefined || this.closed) return;
      await this.watch(id);
      if (announce && !this.closed) this.opts.onChange('directory appeared');
    })().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async watch(id: string): Promise<void> {
    // No awaitWriteFinish (it holds events until the size is stable for seconds) and no polling:
    // inotify's MODIFY reaches fs.watch even while dhclient keeps the file open and appends.
    const w = watch(this.dir, {
      depth: 0,
      ignoreInitial: true,
      ignored: (p: string) => resolve(p) !== this.dir && !this.opts.accept(basename(p)),
    });
    this.watcher = w;
    this.watchedId = id;
    // The raw events (fs.watch's, on the directory and on each file) are what the watch acts on:
    // chokidar's own add/change/unlink come from them, and miss some (no 'add' for a symbolic link
    // that replaces a dangling one, no 'unlinkDir' for the watched directory itself).
    w.on('raw', (event, name) => {
      // Fast path: only a 'rename' (not the 'change' of a file written to) can be the directory
      // itself going away or being replaced; one stat tells.
      if (event === 'rename') void this.check(true);
      if (typeof name === 'string' && name !== '' && this.opts.accept(basename(name))) this.opts.onChange(`${event} ${name}`);
    });
    w.on('error', (err) => this.opts.onError(err instanceof Error ? err : new Error(String(err))));
    await new Promise<void>((done) => {
      this.abortReady = done;
      w.once('ready', () => done());
    });
    this.abortReady = undefined;
  }

  private async unwatch(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    this.watchedId = undefined;
    await w?.close();
  }

}

/** ext4 reuses a removed directory's inode number at once; the birth time tells them apart. */
async function directoryId(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path);
    return st.isDirectory() ? `${st.dev}:${st.ino}:${st.birthtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}
