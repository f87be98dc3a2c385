// A server's statistics: the smoothed RTT and the reply time histogram's buckets.
import t from 'tap';
import { RTT_BUCKETS_S, ServerStats } from '../../src/upstream/server-stats.js';

t.test('buckets: CoreDNS forward\'s, 0.25 ms doubling to 8.192 s', async (t) => {
  t.equal(RTT_BUCKETS_S.length, 16);
  t.equal(RTT_BUCKETS_S[0], 0.00025);
  t.equal(RTT_BUCKETS_S[15], 8.192);
});

t.test('a reply falls in the first bucket whose bound it does not exceed; over the last, the overflow slot', async (t) => {
  const s = new ServerStats();
  s.replied(0.25); // 0.00025 s: on the first bound
  s.replied(0.3);
  s.replied(10_000);
  t.equal(s.rttCounts[0], 1);
  t.equal(s.rttCounts[1], 1);
  t.equal(s.rttCounts[16], 1);
  t.equal(s.replies, 3);
  t.ok(Math.abs(s.rttSumS - 10.00055) < 1e-9, 'the sum in seconds');
});

t.test('the smoothed RTT: the first sample, then 1/8 of each new one', async (t) => {
  const s = new ServerStats();
  t.equal(s.srttMs, null);
  s.replied(80);
  t.equal(s.srttMs, 80);
  s.replied(160);
  t.equal(s.srttMs, 90);
});
