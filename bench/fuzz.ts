// The fuzzing target (no crash, the canary answered 99% or more): the built daemon takes FUZZ_QUERIES (1,000,000) fuzzed UDP queries
// from 8 loopback addresses at FUZZ_RATE a second (and one abusive TCP connection per 1,000), and
// valid queries to a route whose server answers with fuzzed replies until it has sent FUZZ_REPLIES
// (100,000) of them, while a canary client asks a healthy route 20 times a second (2 s timeout).
// Reports what was sent, the canary's share answered, whether the daemon still runs and answers,
// its memory, and the lines at info and above it wrote meanwhile, by message. Loopback
// 127.0.68.x, random free ports; no root needed. Run: npm run bench:fuzz (FUZZ_SEED to replay).
import { fuzzSeed, Prng } from '../test/helpers/fuzz.js';
import { infoLines, runFuzz, startFuzzSetup } from '../test/helpers/fuzz-run.js';

const QUERIES = Number(process.env.FUZZ_QUERIES ?? 1_000_000);
const REPLIES = Number(process.env.FUZZ_REPLIES ?? 100_000);
const RATE = Number(process.env.FUZZ_RATE ?? 5_000);
const seed = fuzzSeed(11);
console.log(`fuzz seed ${seed} (FUZZ_SEED=${seed} replays the queries)`);

const rng = new Prng(seed);
const setup = await startFuzzSetup('127.0.68', rng);
try {
  const since = await setup.mark();
  const s = await runFuzz(setup, rng, {
    base: '127.0.68',
    queries: QUERIES,
    rate: RATE,
    replies: REPLIES,
    replyWindow: 100,
    tcpEvery: 1000,
    canaryRate: 20,
    canaryTimeoutMs: 2000,
    progress: (p) =>
      console.log(`  ${p.seconds.toFixed(0)} s: ${p.queriesSent} queries, ${p.fuzzedReplies} fuzzed replies, canary ${p.canaryAnswered}/${p.canaryAsked}`),
  });
  const alive = setup.daemon.alive;
  let answers = false;
  for (let i = 0; i < 5 && !answers && alive; i++) answers = await setup.canary(2000);
  const mem = alive ? setup.memory() : { rssKiB: NaN, hwmKiB: NaN };
  const { lines, stats } = await setup.logsSince(since);
  const info = infoLines(lines);
  const pct = (100 * s.canaryAnswered) / s.canaryAsked;
  console.log(`
fuzzed UDP queries sent   ${s.queriesSent} in ${s.sendSeconds.toFixed(0)} s (${(s.queriesSent / s.sendSeconds).toFixed(0)}/s; the run ${s.seconds.toFixed(0)} s), datagrams back ${s.queriesAnswered}
abusive TCP connections   ${s.tcpConnections}
fuzzed replies sent       ${s.fuzzedReplies} (to ${s.replyLoadSent} queries of the fuzz.test route)
canary answered           ${s.canaryAnswered}/${s.canaryAsked} (${pct.toFixed(2)}%)${s.canaryMissedAt.length ? `; missed at ${s.canaryMissedAt.slice(0, 10).map((ms) => (ms / 1000).toFixed(1)).join(', ')} s` : ''}
daemon alive at the end   ${alive ? 'yes' : `no (exit ${setup.daemon.child.exitCode ?? setup.daemon.child.signalCode})`}, answering: ${answers ? 'yes' : 'no'}
daemon memory             RSS ${(mem.rssKiB / 1024).toFixed(1)} MiB, peak ${(mem.hwmKiB / 1024).toFixed(1)} MiB
UDP listener drops        ${JSON.stringify(stats.udpDrops)}
log lines at info+        ${info.count} (${info.bytes} bytes)${info.byMsg.map(([m, n]) => `\n  ${String(n).padStart(8)}  ${m}`).join('')}
`);
  if (!alive || !answers || pct < 99) process.exitCode = 1;
} finally {
  await setup.close();
}
