// Parses a big source file in a worker thread, so that the event loop (every client's answers) is
// never held for long: a real lease file is a few KiB and is parsed at once, but one of up to
// max_bytes would hold it for hundreds of milliseconds. The worker runs the program's own entry
// script (cli/program.ts hands it over: the single-file build or the tsc build alike), which, started
// as a worker, only serves one parse and ends.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { SourceKind } from './config.js';
import type { ParseOutcome } from './parse-outcome.js';
import { PARSERS } from './parsers/by-kind.js';

/** Texts up to this many characters are parsed on the main thread (a few milliseconds at most). */
export const INLINE_MAX = 16 * 1024;
/** The worker's heap: far above what parsing the biggest file allowed takes. */
const WORKER_HEAP_MB = 128;

let entry: URL | null = null;

/** The script a parse worker runs (the program's entry, which calls serveParse in a worker); null: parse inline. */
export function useParseWorker(script: URL | null): void {
  entry = script;
}

/** The leases kept of each link: the last ones in the file (a renewal appends one, the current comes last). */
export const LEASES_PER_LINK = 8;

/**
 * `text` parsed as a `kind` file, with at most LEASES_PER_LINK leases per link: inline when small
 * or when no worker script is set, else in a worker thread.
 */
export function parseSource(kind: SourceKind, text: string): Promise<ParseOutcome> {
  if (text.length <= INLINE_MAX || entry === null) return Promise.resolve(recent(PARSERS[kind](text)));
  const script = entry;
  return new Promise((resolve) => {
    const worker = new Worker(script, {
      workerData: { dnsfwdParse: kind, text },
      argv: [],
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const done = (outcome: ParseOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      void worker.terminate();
    };
    worker.once('message', (outcome: ParseOutcome) => done(outcome));
    worker.once('error', (err) => done({ ok: false, reason: `the parser failed: ${err.message}` }));
    worker.once('exit', (code) => done({ ok: false, reason: `the parser stopped (exit ${code})` }));
  });
}

/** In a parse worker: parses the one text it was given and posts the outcome. */
export function serveParse(): void {
  if (isMainThread || !parentPort) return;
  const { dnsfwdParse: kind, text } = workerData as { dnsfwdParse: SourceKind; text: string };
  // Only what is kept crosses back: copying thousands of leases would hold the main thread.
  parentPort.postMessage(recent(PARSERS[kind](text)));
}

/** The outcome with only the last LEASES_PER_LINK leases of each link, in file order. */
export function recent(outcome: ParseOutcome): ParseOutcome {
  if (!outcome.ok) return outcome;
  const seen = new Map<string, number>();
  const kept: typeof outcome.leases[number][] = [];
  for (let i = outcome.leases.length - 1; i >= 0; i--) {
    const l = outcome.leases[i]!;
    const n = seen.get(l.link) ?? 0;
    if (n === LEASES_PER_LINK) continue;
    seen.set(l.link, n + 1);
    kept.push(l);
  }
  if (kept.length === outcome.leases.length) return outcome;
  return { ...outcome, leases: kept.reverse() };
}
