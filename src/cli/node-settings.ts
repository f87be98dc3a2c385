// The Node settings the daemon runs with, whichever way it is started (bin/dnsfwd, npm start, the
// service files, `node dist/dnsfwd.mjs`, `node dist/cli/main.js`): V8 options given on node's
// command line, because V8 reads its heap limits when the process starts
// (v8.setFlagsFromString('--max-old-space-size=...') later changes nothing).
//
// - --max-semi-space-size=1 --single-threaded: V8's young generation kept at 1 MiB semi-spaces
//   and no GC helper threads: about 60 MiB of memory with 10,000 answers cached instead of about
//   100 MiB, at no measured cost in speed (README, Benchmarks).
// - --heap-growing-percent=10: V8 lets the old generation grow by 10% past what the last full GC
//   left before it collects again, where it would otherwise wait for a heap up to several times
//   as large. Under a stream of cache misses most of what a query allocates is garbage within
//   milliseconds: the peak of anonymous memory fell from about 50 to about 31 MiB with it, and the
//   CPU time per forwarded query did not grow (bench/miss-profile.sh, bench/README.md).
// - --optimize-for-size: V8's memory-saving mode; among other things the old generation grows by
//   at least 2 MB between full GCs instead of 8 MB. In bench/memory.sh (hits, then misses, in one
//   daemon) the peak of anonymous memory under misses fell from about 31 to about 28.5 MiB; in
//   bench/miss-profile.sh (a fresh daemon, misses only) both peaked at 29-29.7 MiB. The CPU time
//   per query of hits and of misses did not grow beyond the noise of runs side by side
//   (bench/README.md).
// - --max-old-space-size: a V8 heap that holds the largest cache the config allows (heapCapMiB),
//   so no valid configuration ends in "heap out of memory", whatever memory the host has (V8's
//   own limit depends on it).
//
// bin/dnsfwd asks for them (`--node-settings ARGS`) and runs node with them; a daemon started
// without them (`node dist/dnsfwd.mjs run`) starts itself again with them (relaunch).
import { spawn } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import type { CacheConfig } from '../cache/config.js';
import { plainRun, type Flags } from './argv.js';
import { loadConfig } from './load-config.js';
import { defaultConfig } from '../config/load.js';

const MiB = 1 << 20;

/**
 * V8 heap the daemon needs besides its cache: its code, sockets, in-flight queries, TCP
 * connections (capped), parsed lease files. Measured at under 20 MiB; the rest is headroom.
 */
export const HEAP_BASE_MIB = 128;
/**
 * Heap bytes an entry costs whatever its size (test/helpers/fill-cache.ts, with 1,000,000 entries
 * of 255-byte names: the entry object, the headers of its two strings, its slot in the table).
 */
export const HEAP_PER_ENTRY = 640;
/**
 * Heap bytes per byte of cache.max_bytes: an entry's key and data are one-byte strings on the
 * heap, one byte a character, and PacketCache counts every character of both.
 */
export const HEAP_PER_MAX_BYTE = 1;

/** The --max-old-space-size (MiB) that holds a full cache of this config. */
export function heapCapMiB(cache: Pick<CacheConfig, 'size' | 'maxBytes'>): number {
  if (cache.size === 0) return HEAP_BASE_MIB;
  return HEAP_BASE_MIB + Math.ceil((cache.size * HEAP_PER_ENTRY + cache.maxBytes * HEAP_PER_MAX_BYTE) / MiB);
}

export interface NodeSettings {
  /** node's own options, before the script. */
  readonly flags: readonly string[];
  /** Environment variables node must start with. */
  readonly env: Readonly<Record<string, string>>;
}

/** What node runs the daemon with, for this cache config. */
export function nodeSettings(cache: Pick<CacheConfig, 'size' | 'maxBytes'>): NodeSettings {
  return {
    flags: ['--max-semi-space-size=1', '--heap-growing-percent=10', '--optimize-for-size', '--single-threaded', `--max-old-space-size=${heapCapMiB(cache)}`],
    env: {},
  };
}

/** The settings as bin/dnsfwd reads them: NAME=VALUE words, then node's options, on one line. */
export function formatSettings(s: NodeSettings): string {
  return [...Object.entries(s.env).map(([k, v]) => `${k}=${v}`), ...s.flags].join(' ');
}

/**
 * `--node-settings ARGS`: prints the settings of `dnsfwd ARGS`. A config that does not load gives
 * the default config's: the daemon then says what is wrong with it.
 */
export async function printNodeSettings(args: readonly string[]): Promise<void> {
  const flags: Flags | null = plainRun(args);
  const loaded = flags ? await loadConfig(flags) : null;
  const config = loaded?.ok ? loaded.config : defaultConfig();
  process.stdout.write(formatSettings(nodeSettings(config.cache)) + '\n');
}

/** Whether this process started with these settings (later options win, as V8 reads them). */
export function settingsApplied(s: NodeSettings, execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): boolean {
  // A boolean option is turned off again by its --no- form.
  const last = (name: string): string | undefined =>
    [...execArgv].reverse().find((a) => a === name || a.startsWith(`${name}=`) || a === `--no-${name.slice(2)}`);
  for (const flag of s.flags) {
    const name = flag.split('=')[0]!;
    if (last(name) !== flag) return false;
  }
  return Object.entries(s.env).every(([k, v]) => env[k] === v);
}

/** The heap limit of this process, MiB. */
export const heapLimitMiB = (): number => Math.floor(getHeapStatistics().heap_size_limit / MiB);

/** Set in the process relaunch() starts, so that it never starts another. */
const RELAUNCHED = 'DNSFWD_RELAUNCHED';

/**
 * Whether this process must start itself again with `s`: it lacks them, and is not itself
 * such a restart (then it goes on as it is, after a warning).
 */
export function needsRelaunch(s: NodeSettings): boolean {
  if (settingsApplied(s)) return false;
  if (process.env[RELAUNCHED] === undefined) return true;
  process.stderr.write(`dnsfwd: warning: started again with ${formatSettings(s)} and still without them: going on as it is\n`);
  return false;
}

/** Signals passed on to the daemon started again: every one it acts on or holds. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM', 'SIGIO', 'SIGQUIT'];

/**
 * Runs this command line again under node with `s`, and ends as it ends. Where node has
 * process.execve (22.15 and later), in this process: nothing stays behind. Else as a child with
 * the same stdio: this process passes every signal on to it (those that came while the program
 * loaded too), and leaves with its exit status, or by the signal that ended it.
 */
export function relaunch(s: NodeSettings, held: readonly NodeJS.Signals[]): void {
  const names = new Set(s.flags.map((f) => f.split('=')[0]));
  const keep = process.execArgv.filter((a) => !names.has(a.split('=')[0]));
  const argv = [...keep, ...s.flags, process.argv[1]!, ...process.argv.slice(2)];
  const env = { ...process.env, ...s.env, [RELAUNCHED]: '1' };
  const execve = (process as unknown as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve === 'function' && held.length === 0) execve.call(process, process.execPath, [process.execPath, ...argv], env);
  const child = spawn(process.execPath, argv, { stdio: 'inherit', env });
  const pass = (signal: NodeJS.Signals) => void child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, pass);
  child.once('spawn', () => held.forEach(pass));
  child.once('exit', (code, signal) => {
    for (const sig of FORWARDED) process.off(sig, pass);
    if (signal !== null) process.kill(process.pid, signal);
    process.exit(code ?? 1);
  });
}
