// Response rate limiting on an injected clock: N responses a second pass, then the slip pattern
// (every slip-th truncated, the rest dropped), a new second starts afresh, prefixes are counted
// apart, and the table stays within its cap.
import t from 'tap';
import type { RateLimitConfig } from '../../src/server/client-config.js';
import { RateLimiter } from '../../src/server/rate-limit.js';

const config = (responsesPerSecond: number, slip: number): RateLimitConfig => ({ responsesPerSecond, slip, ipv4Prefix: 24, ipv6Prefix: 56 });

function limiter(rps: number, slip: number, max?: number) {
  let now = 1_000_000;
  const l = new RateLimiter(config(rps, slip), () => now, max);
  return { l, at: (ms: number) => (now = ms), later: (ms: number) => (now += ms) };
}

const burst = (l: RateLimiter, n: number, key = '10.0.0.0/24') => Array.from({ length: n }, () => l.check(key));

t.test('N a second pass; over it, slip 2: every second one truncated, the others dropped', async (t) => {
  const { l } = limiter(5, 2);
  t.same(burst(l, 11), ['answer', 'answer', 'answer', 'answer', 'answer', 'drop', 'truncate', 'drop', 'truncate', 'drop', 'truncate']);
});

t.test('slip 1: every one over the limit truncated; slip 0: every one dropped; slip 3', async (t) => {
  t.same(burst(limiter(2, 1).l, 5), ['answer', 'answer', 'truncate', 'truncate', 'truncate']);
  t.same(burst(limiter(2, 0).l, 5), ['answer', 'answer', 'drop', 'drop', 'drop']);
  t.same(burst(limiter(1, 3).l, 7), ['answer', 'drop', 'drop', 'truncate', 'drop', 'drop', 'truncate']);
});

t.test('a new second starts afresh, the slip count too; within the second nothing resets', async (t) => {
  const { l, at } = limiter(2, 2);
  at(5_000);
  t.same(burst(l, 3), ['answer', 'answer', 'drop']);
  at(5_999);
  t.same(burst(l, 1), ['truncate'], 'still second 5');
  at(6_000);
  t.same(burst(l, 4), ['answer', 'answer', 'drop', 'truncate'], 'second 6');
});

t.test('each prefix has its own count', async (t) => {
  const { l } = limiter(1, 0);
  t.same(burst(l, 2, '10.0.0.0/24'), ['answer', 'drop']);
  t.same(burst(l, 2, '10.0.1.0/24'), ['answer', 'drop']);
  t.same(burst(l, 1, '2001:db8::/56'), ['answer']);
});

t.test('bounded: buckets of past seconds go, and at the cap the oldest starts afresh', async (t) => {
  const { l, later } = limiter(1, 0, 3);
  for (const k of ['a', 'b', 'c']) l.check(k);
  t.equal(l.size, 3);
  t.equal(l.check('d'), 'answer');
  t.equal(l.size, 3, 'at the cap: still 3');
  t.equal(l.check('a'), 'answer', '"a", evicted, starts afresh');
  t.equal(l.check('c'), 'drop', '"c" kept its count');
  later(1000);
  t.equal(l.check('e'), 'answer');
  t.equal(l.size, 1, 'a new second: the buckets of the last one are gone');
});

t.test('responses_per_second 0: off', async (t) => {
  t.notOk(limiter(0, 2).l.enabled);
  t.ok(limiter(1, 2).l.enabled);
});

// Guards moving a bucket renewed for a new second to the end of the table (the order eviction relies on).
t.test('at the cap, a bucket renewed this second is kept and an older one goes', async (t) => {
  const { l, at } = limiter(1, 0, 3);
  at(1_000_000);
  l.check('a');
  l.check('b');
  at(1_001_000);
  t.equal(l.check('a'), 'answer', 'a, renewed for the new second');
  l.check('c');
  l.check('d');
  t.equal(l.check('a'), 'drop', "a's count of this second is still there: over the limit");
});
