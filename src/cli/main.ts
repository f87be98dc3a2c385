#!/usr/bin/env node
// The `dnsfwd` executable. It holds early signals first, then loads what the command line asks
// for (a few hundred milliseconds), so a SIGHUP or SIGTERM during start-up is acted on, not fatal.
// A plain `dnsfwd [run] ...` goes straight to the daemon; everything else goes through yargs.
// Started as a worker thread, it parses one big source file and ends (sources/parse-worker.ts).
import { isMainThread } from 'node:worker_threads';
import { holdEarlySignals } from './early-signals.js';

if (!isMainThread) {
  (await import('../sources/parse-worker.js')).serveParse();
} else {
  holdEarlySignals();
  (await import('../sources/parse-worker.js')).useParseWorker(new URL(import.meta.url));
  const { plainRun } = await import('./argv.js');
  const flags = plainRun(process.argv.slice(2));
  if (flags) await (await import('./run.js')).run(flags);
  else await import('./command.js');
}
