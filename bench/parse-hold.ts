// How long the main thread (every client's answers) is held when a big source file goes to the
// parse worker: the longest gap between turns of a 1 ms timer while parseSource() hands
// BENCH_PARSE_MB (2, the default max_bytes) of dhclient leases to a worker and waits for the
// outcome, over BENCH_RUNS (10) runs, each with a new worker. Run: npm run bench:parse-hold
import { readFileSync } from 'node:fs';
import { INLINE_MAX, parseSource, useParseWorker } from '../src/sources/parse-worker.js';

const MB = Number(process.env.BENCH_PARSE_MB ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const block = readFileSync(new URL('../test/fixtures/dhcp/dhclient-4.4.3-debian12_after-first-bind_2dns.leases', import.meta.url), 'utf8');
const text = block.repeat(Math.floor((MB * 1024 * 1024) / block.length));
if (text.length <= INLINE_MAX) throw new Error('too small for the worker');
// The worker runs the program's entry, as the daemon's does (the tsc build: npm run build first).
useParseWorker(new URL('../dist/cli/main.js', import.meta.url));

const gaps: number[] = [];
const took: number[] = [];
/** How long the call itself took, before it returned its promise: the worker's start, the text handed over. */
const calls: number[] = [];
for (let i = 0; i < RUNS; i++) {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 50)); // the timer settles
  max = 0;
  const t0 = performance.now();
  const pending = parseSource('dhclient', text);
  calls.push(performance.now() - t0);
  const outcome = await pending;
  took.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 50)); // the worker's end, too
  clearInterval(timer);
  if (!outcome.ok) throw new Error(outcome.reason);
  gaps.push(max);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
console.log(`${(text.length / 1048576).toFixed(2)} MiB of leases, ${RUNS} runs, each with a new worker:`);
console.log(`  the call (worker start, text handed over): ${fmt(calls)} (each run: ${calls.map((c) => c.toFixed(1)).join(" ")})`);
console.log(`  longest gap of a 1 ms timer meanwhile:     ${fmt(gaps)} (other load on the machine shows here too)`);
console.log(`  the whole parse:                           median ${median(took).toFixed(0)} ms`);
