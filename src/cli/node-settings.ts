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
// - --expose-gc: the global gc(), which the heap pacer calls (src/heap-pacer.ts): a full
//   collection each time the heap has grown by 2 MiB, which keeps the peak under a stream of
//   misses about 6 MiB lower for 10-20% more CPU per miss.
// - --max-old-space-size=128: V8's heap limit, the same for every config. The cache keeps its
//   entries outside V8's heap (packet-cache.ts), so no cache size a config allows brings the heap
//   near it (test/integration/heap-cap.test.ts fills the largest one under it), and the limit no
//   longer depends on the host's memory (V8's own default does).
//
// They are the same for every command and config (node-flags.ts). bin/dnsfwd asks for them
// (`--node-settings`, answered by main.ts without loading the program) and runs node with them; a
// daemon started without them (`node dist/dnsfwd.mjs run`) starts itself again with them (relaunch).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NODE_FLAGS } from './node-flags.js';

export { HEAP_MIB } from './node-flags.js';

export interface NodeSettings {
  /** node's own options, before the script. */
  readonly flags: readonly string[];
  /** Environment variables node must start with. */
  readonly env: Readonly<Record<string, string>>;
}

/** What node runs the daemon with (main.ts prints the same flags for bin/dnsfwd: no environment). */
export function nodeSettings(): NodeSettings {
  return { flags: NODE_FLAGS, env: {} };
}

/** The settings as bin/dnsfwd reads them: NAME=VALUE words, then node's options, on one line. */
export function formatSettings(s: NodeSettings): string {
  return [...Object.entries(s.env).map(([k, v]) => `${k}=${v}`), ...s.flags].join(' ');
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

/**
 * The script to run again: for the tsc build's entry (dist/cli/main.js), the single-file build
 * beside it (dist/dnsfwd.mjs) when it is there, which loads in less memory (57 against 59 MiB
 * resident at start, bench/README.md), so that every way to start dnsfwd runs the same daemon.
 * Both come from the same sources: `npm run build` empties dist/ before `npm run bundle` fills it.
 */
export function relaunchScript(script: string): string {
  if (!script.endsWith(join('dist', 'cli', 'main.js'))) return script;
  const bundle = join(dirname(script), '..', 'dnsfwd.mjs');
  return existsSync(bundle) ? bundle : script;
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
  const argv = [...keep, ...s.flags, relaunchScript(process.argv[1]!), ...process.argv.slice(2)];
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
