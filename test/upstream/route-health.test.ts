// A server's health in one route: down at once on a timeout, down at a failure rate on RCODEs,
// probed one query at a time once its down time is over, and what each change returns for logging.
import t from 'tap';
import { BUCKET_MS, MIN_FAILURES, ServerHealth } from '../../src/upstream/route-health.js';

t.test('unreachable: down for down_ms, newly once; then due for a probe', async (t) => {
  const h = new ServerHealth();
  t.equal(h.isUp(), true);
  t.equal(h.unreachable(1000, 500), true, 'newly down');
  t.equal(h.unreachable(1100, 500), false, 'already down');
  t.equal(h.downUntilMs, 1600, 'down_ms counts from the latest failure');
  t.equal(h.probeDue(1599), false, 'the last ms of down_ms');
  t.equal(h.probeDue(1600), true, 'down_ms is over: a probe may go');
  h.startProbe();
  t.equal(h.probeDue(1700), false, 'one probe at a time');
  h.cancelProbe();
  t.equal(h.probeDue(1700), true, 'the probe never went: another may');
  t.equal(h.isUp(), false, 'still down until a probe is answered');
  t.equal(h.answered(1700), true, 'up again');
  t.equal(h.isUp(), true);
  t.equal(h.answered(1700), false, 'an answer while up changes nothing');
});

t.test('down_ms 0: never down', async (t) => {
  const h = new ServerHealth();
  t.equal(h.unreachable(1000, 0), false);
  for (let i = 0; i < 3 * MIN_FAILURES; i++) t.equal(h.failed(1000, 0), false);
  t.equal(h.isUp(), true);
});

// Guards `failures < MIN_FAILURES`: fewer failures never put a server down, however few answers.
t.test('MIN_FAILURES failures at least', async (t) => {
  const h = new ServerHealth();
  for (let i = 0; i < MIN_FAILURES - 1; i++) t.equal(h.failed(1000, 500), false, `failure ${i + 1}`);
  t.equal(h.failed(1000, 500), true, `failure ${MIN_FAILURES}, no answer: down`);
  t.same(h.lastRate, { failures: MIN_FAILURES, of: MIN_FAILURES });
  t.same(h.rate, { failures: 0, of: 0 }, 'counting starts anew');
});

// Guards `2 * failures <= of`: as many failures as answers is not enough; one more is.
t.test('more failures than answers', async (t) => {
  const h = new ServerHealth();
  for (let i = 0; i < 2 * MIN_FAILURES; i++) h.answered(1000);
  for (let i = 0; i < 2 * MIN_FAILURES; i++) t.equal(h.failed(1000, 500), false);
  t.same(h.rate, { failures: 2 * MIN_FAILURES, of: 4 * MIN_FAILURES });
  t.equal(h.failed(1000, 500), true, 'one failure more than answers');
});

// Guards the buckets: outcomes older than two buckets no longer count; the previous bucket does.
t.test('the rate is taken over the last two buckets', async (t) => {
  const h = new ServerHealth();
  for (let i = 0; i < 2 * MIN_FAILURES; i++) h.answered(1000);
  h.failed(1000 + BUCKET_MS, 500);
  t.same(h.rate, { failures: 1, of: 2 * MIN_FAILURES + 1 }, 'the previous bucket counts');
  h.failed(1000 + 3 * BUCKET_MS, 500);
  t.same(h.rate, { failures: 1, of: 1 }, 'two buckets later: only the new one');
  h.failed(1000 + 4 * BUCKET_MS, 500);
  t.same(h.rate, { failures: 2, of: 2 }, 'the bucket before is kept');
  for (let i = 0; i < MIN_FAILURES - 3; i++) t.equal(h.failed(1000 + 4 * BUCKET_MS, 500), false);
  t.equal(h.failed(1000 + 4 * BUCKET_MS, 500), true, 'MIN_FAILURES within the two buckets');
});

t.test('a failed probe puts it down again, quietly; a state change starts counting anew', async (t) => {
  const h = new ServerHealth();
  h.unreachable(1000, 500);
  h.startProbe();
  t.equal(h.failed(1600, 500), false, 'not newly down');
  t.equal(h.downUntilMs, 2100);
  t.equal(h.probeDue(2100), true, 'the failed probe settled');
  h.answered(2100);
  t.same(h.rate, { failures: 0, of: 0 }, 'up again: counting starts anew');
});
