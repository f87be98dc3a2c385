// The program behind the `dnsfwd` executable (main.ts checked the Node version and loads it). It
// holds early signals first, then loads what the command line asks for (a few hundred
// milliseconds), so a SIGHUP or SIGTERM during start-up is acted on, not fatal. A plain
// `dnsfwd [run] ...` goes straight to the daemon; everything else goes through yargs.
// Started as a worker thread, it parses one big source file and ends (sources/parse-worker.ts).
import { isMainThread } from 'node:worker_threads';
import { holdEarlySignals } from './early-signals.js';

if (!isMainThread) (await import('../sources/parse-worker.js')).serveParse();

/** Runs the command line `args` (process.argv without node and the script). */
export async function main(args: string[]): Promise<void> {
  if (!isMainThread) return;
  holdEarlySignals();
  (await import('../sources/parse-worker.js')).useParseWorker(new URL(import.meta.url));
  const { plainRun } = await import('./argv.js');
  const flags = plainRun(args);
  if (flags) await (await import('./run.js')).run(flags);
  else await import('./command.js');
}
