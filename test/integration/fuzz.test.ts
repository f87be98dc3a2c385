// The fuzzing target, at test size: 50,000 fuzzed UDP queries from 8 addresses (and some
// abusive TCP connections), and 10,000 fuzzed upstream replies to one route, while a canary asks a
// healthy route. Afterwards the daemon runs and answers the canary, and what it logged at info and
// above meanwhile is a few lines, however many packets came: every line a remote party can trigger
// is rate-limited. The figures for the full million: bench/fuzz.ts. FUZZ_SEED=N replays a run.
import t from 'tap';

import { fuzzSeed, Prng } from '../helpers/fuzz.js';
import { infoLines, runFuzz, startFuzzSetup } from '../helpers/fuzz-run.js';

const QUERIES = 50_000;
const REPLIES = 10_000;
/**
 * A bound on the info-and-above lines of the whole run: the throttled kinds a fuzzer can reach
 * log once at first, then once a minute each. It does not grow with QUERIES or REPLIES.
 */
const MAX_LINES = 20;
const seed = fuzzSeed(67);
t.comment(`fuzz seed ${seed} (FUZZ_SEED=${seed} replays the queries)`);
const rng = new Prng(seed);
const setup = await startFuzzSetup('127.0.67', rng);
t.teardown(() => setup.close());

t.test(`${QUERIES} fuzzed queries and ${REPLIES} fuzzed replies`, async (t) => {
  const since = await setup.mark();
  const s = await runFuzz(setup, rng, {
    base: '127.0.67',
    queries: QUERIES,
    rate: 4_000,
    replies: REPLIES,
    replyWindow: 100,
    tcpEvery: 500,
    canaryRate: 20,
    canaryTimeoutMs: 2000,
  });
  t.comment(
    `sent ${s.queriesSent} queries (${s.tcpConnections} TCP connections) in ${s.seconds.toFixed(1)} s; ` +
      `fuzzed replies ${s.fuzzedReplies}; canary during the run ${s.canaryAnswered}/${s.canaryAsked}`,
  );
  t.ok(setup.daemon.alive, 'the daemon still runs');
  t.ok(s.fuzzedReplies >= REPLIES, `the fuzzing server sent ${s.fuzzedReplies} replies`);

  // Every canary query after the run is answered (each asked up to 5 times: the machine may be busy).
  for (let i = 0; i < 10; i++) {
    let answered = false;
    for (let attempt = 0; attempt < 5 && !answered; attempt++) answered = await setup.canary(3000);
    t.ok(answered, `canary query ${i} after the run answered`);
  }
  t.ok(setup.daemon.alive, 'and still runs');

  const { lines } = await setup.logsSince(since);
  const all = infoLines(lines);
  t.comment(`info+ lines during the run: ${all.count} (${all.bytes} bytes): ${JSON.stringify(all.byMsg)}`);
  t.ok(all.count <= MAX_LINES, `at most ${MAX_LINES} lines at info and above (${all.count})`);
  t.equal(lines.filter((l) => (l.level ?? 0) >= 50).length, 0, 'no error lines');
});
