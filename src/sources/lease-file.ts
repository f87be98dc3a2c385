// A ServerSource backed by watched files (one path, or `*` in its last component): the servers
// are the union of every matching file's last good parse; bad reads keep them and warn once.
import { EventEmitter } from 'node:events';
import { readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type Endpoint, formatEndpoint } from '../address.js';
import type { Logger } from '../log.js';
import { DirectoryWatcher, splitWatchPath, type WatchPath } from './dir-watch.js';
import { SOURCE_MAX_BYTES } from './config.js';
import { chooseLeases, type LeaseServers } from './lease-choice.js';
import type { ParseFunction, ParseOutcome } from './parse-outcome.js';
import { readCapped } from './read-capped.js';
import { SourceReport } from './source-report.js';
import { SOURCE_CHANGE, type ServerSource, type SourceView } from './source.js';

export interface LeaseFileOptions {
  /** A file, or a pattern with `*` in its last component: `/var/lib/dhcp/dhclient*.leases`. */
  readonly path: string;
  readonly parse: ParseFunction;
  /** Parses off the main thread when the text is big (parse-worker.ts); `parse` when absent. */
  readonly parseAsync?: (text: string) => Promise<ParseOutcome>;
  /** The parser's name for logs: `dhclient`, `dhcpcd`, … */
  readonly kind: string;
  readonly logger: Logger;
  /** Quiet time after the last change before reading (default 100 ms; at most 4× that in all). */
  readonly debounceMs?: number;
  /** The clock that decides which leases have expired (ms since the epoch). */
  readonly now?: () => number;
  /** How often the directory is stat'ed to notice it missing, appearing or replaced (default 300 ms). */
  readonly dirPollMs?: number;
  /** How file bytes become the parser's text; `latin1` keeps one char per byte for binary files. */
  readonly encoding?: BufferEncoding;
  /** May well not exist (the embedded default watches every client's places): absence is info, not a warning. */
  readonly optional?: boolean;
  /**
   * A deleted file's servers go away (systemd-networkd deletes a link's lease when the link goes
   * down). Otherwise a deleted file keeps its last good servers (dhclient rewrites in place).
   */
  readonly forgetDeleted?: boolean;
  /** The largest file read (default SOURCE_MAX_BYTES): a bigger one is a problem, and its last good servers stay. */
  readonly maxBytes?: number;
}

export class LeaseFileSource extends EventEmitter implements ServerSource {
  readonly name: string;
  private readonly opts: LeaseFileOptions;
  private readonly where: WatchPath;
  private readonly log: Logger;
  private readonly debounceMs: number;
  private readonly watcher: DirectoryWatcher;
  /** The last good leases of each file, by file name. */
  private readonly lastGood = new Map<string, readonly LeaseServers[]>();
  private readonly report: SourceReport;
  private current: readonly Endpoint[] = [];
  private currentLeases: readonly LeaseServers[] = [];
  /** When a read last changed the current leases; null before. */
  private changedAt: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  /** Fires when a lease expires, to choose the current leases again. */
  private expiryTimer: NodeJS.Timeout | undefined;
  private pendingSince: number | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private closed = false;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(opts: LeaseFileOptions) {
    super();
    const where = splitWatchPath(opts.path);
    if (!where.ok) throw new TypeError(where.reason); // config validation checks this first
    this.opts = opts;
    this.where = where.value;
    this.name = `${opts.kind}:${opts.path}`;
    this.log = opts.logger;
    this.debounceMs = opts.debounceMs ?? 100;
    this.report = new SourceReport(this.name, this.log, opts.optional ?? false, () => this.schedule());
    this.watcher = new DirectoryWatcher({
      dir: this.where.dir,
      accept: this.where.accept,
      pollMs: opts.dirPollMs ?? 300,
      onChange: () => this.schedule(),
      onError: (err) => this.log.warn({ source: this.name, file: this.where.dir, reason: err.message }, 'watch error'),
    });
  }

  /** Starts watching, then reads; resolves when both are done, so later writes are seen. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await this.watcher.start();
      await this.runScan();
    })();
    return this.starting;
  }

  servers(): readonly Endpoint[] {
    return this.current;
  }

  leases(): readonly LeaseServers[] {
    return this.currentLeases;
  }

  view(): SourceView {
    const files = [...this.lastGood.keys()].sort().map((n) => join(this.where.dir, n));
    const { name, changedAt } = this;
    return { name, kind: this.opts.kind, path: this.opts.path, files, changedAt, servers: this.current, leases: this.currentLeases };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearTimeout(this.timer);
      clearTimeout(this.expiryTimer);
      await this.watcher.close();
      await this.scanning;
    })();
    return this.closing;
  }

  /** Debounces change events: read after `debounceMs` of quiet, but no later than 4× that. */
  private schedule(): void {
    if (this.closed) return;
    const now = Date.now();
    this.pendingSince ??= now;
    clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.debounceMs, this.pendingSince + 4 * this.debounceMs - now));
    this.timer = setTimeout(() => {
      this.pendingSince = undefined;
      void this.runScan();
    }, wait);
  }

  /**
   * One scan at a time; a request during a scan runs another one right after it (once closed,
   * that scan stops after listing the directory).
   */
  private runScan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.rescan = false;
        await this.scan().catch((err: unknown) => this.log.error({ source: this.name, err }, 'scan failed'));
      } while (this.rescan);
    })().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async scan(): Promise<void> {
    const names = await listFiles(this.where);
    if (this.closed) return;
    if (!names.ok) {
      this.report.problem(this.where.dir, names.reason, names.absent);
    } else {
      this.report.fine(this.where.dir);
      for (const name of names.value) await this.readOne(name);
      this.noteMissing(names.value);
    }
    if (!this.closed) this.publish();
  }

  private async readOne(name: string): Promise<void> {
    const file = join(this.where.dir, name);
    const read = await readCapped(file, this.opts.maxBytes ?? SOURCE_MAX_BYTES, this.opts.encoding ?? 'utf8');
    if (!read.ok) {
      const { code } = read;
      const reason = code === 'ENOENT' ? this.missingReason(name) : (read.reason ?? readProblem(code));
      this.report.problem(file, reason, code === 'ENOENT' && !this.lastGood.has(name));
      return;
    }
    const outcome = this.opts.parseAsync ? await this.opts.parseAsync(read.text) : this.opts.parse(read.text);
    if (!outcome.ok) {
      this.report.problem(file, outcome.reason);
      return;
    }
    this.lastGood.set(name, outcome.leases.map((l) => ({ ...l, link: `${name}/${l.link}`, file })));
    this.report.fine(file);
    this.report.skipped(file, outcome.warnings ?? []);
  }

  /**
   * Files read before and gone now keep their servers (a vanished lease file is a problem), unless
   * deletion means the lease is over (forgetDeleted).
   */
  private noteMissing(present: readonly string[]): void {
    for (const name of [...this.lastGood.keys()]) {
      if (present.includes(name)) continue;
      const file = join(this.where.dir, name);
      if (!this.opts.forgetDeleted) {
        this.report.problem(file, this.missingReason(name));
        continue;
      }
      this.lastGood.delete(name);
      this.log.info({ source: this.name, file }, 'lease file deleted (the link went down): its servers go');
    }
    // Without a wildcard the pattern is the file, whose own reads report on it.
    const pattern = join(this.where.dir, basename(resolve(this.opts.path)));
    if (present.length === 0 && this.lastGood.size === 0) {
      this.report.problem(pattern, this.where.wildcard ? 'no file matches' : 'the file does not exist', true);
    } else if (this.where.wildcard) {
      this.report.fine(pattern);
    }
  }

  private missingReason(name: string): string {
    return this.lastGood.has(name) ? 'the file was deleted; keeping its last servers' : 'the file does not exist';
  }

  /**
   * Swaps in the servers of the current leases over every file's last good parse (the files in
   * name order), announces a change, and sets a timer for the next lease to expire.
   */
  private publish(): void {
    const names = [...this.lastGood.keys()].sort();
    const now = (this.opts.now ?? Date.now)();
    const choice = chooseLeases(names.flatMap((n) => this.lastGood.get(n) ?? []), now);
    this.scheduleExpiry(choice.recheckAt, now);
    const next = choice.servers;
    const old = this.current;
    const linksBefore = linkKey(this.currentLeases);
    this.currentLeases = choice.leases;
    // The servers are the leases' servers in order: the same leases, the same servers.
    if (linkKey(choice.leases) === linksBefore) return;
    this.current = next;
    this.changedAt = now;
    this.log.debug({ source: this.name, old: old.map(formatEndpoint), new: next.map(formatEndpoint) }, 'servers changed');
    this.emit(SOURCE_CHANGE, next);
  }

  private scheduleExpiry(at: number | undefined, now: number): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (at === undefined) return; // (publish() does not run once the source is closed)
    // setTimeout takes at most 2^31-1 ms (~24.8 days); a later expiry is looked at again then.
    const wait = Math.min(at - now + 1, 0x7fffffff);
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = undefined;
      if (!this.closed) this.publish();
    }, wait);
    this.expiryTimer.unref();
  }
}

function readProblem(code: string): string {
  return code === 'EISDIR' ? 'it is a directory, not a file' : `cannot read the file (${code})`;
}

/** What per-link routing depends on: each lease's domains and servers. */
function linkKey(leases: readonly LeaseServers[]): string {
  return leases.map((l) => `${(l.domains ?? []).join(',')}>${l.servers.map(formatEndpoint).join(',')}`).join(' ');
}

/** The matching entries of the directory, sorted by name (reading tells a file from anything else). */
async function listFiles(where: WatchPath): Promise<{ ok: true; value: string[] } | { ok: false; reason: string; absent: boolean }> {
  try {
    const entries = await readdir(where.dir, { withFileTypes: true });
    const names = entries.filter((e) => where.accept(e.name));
    return { ok: true, value: names.map((e) => e.name).sort() };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (code === 'ENOENT') return { ok: false, reason: 'the directory does not exist', absent: true };
    return { ok: false, reason: `cannot list the directory (${code})`, absent: false };
  }
}
