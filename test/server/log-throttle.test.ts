// At most one line a minute per key, with the count since the last line (injected clock).
import t from 'tap';
import { LogThrottle } from '../../src/server/log-throttle.js';

t.test('the first event is logged, then at most once a minute with the count since', async (t) => {
  let now = 0;
  const l = new LogThrottle(() => now);
  t.equal(l.count('a'), 1, 'first: a line for 1');
  now = 59_999;
  t.equal(l.count('a'), 0);
  t.equal(l.count('a'), 0);
  t.equal(l.count('b'), 1, 'another key has its own minute');
  now = 60_000;
  t.equal(l.count('a'), 3, 'a minute later: the two quiet ones and this one');
  now = 60_001;
  t.equal(l.count('a'), 0);
  now = 200_000;
  t.equal(l.count('a'), 2);
});

t.test('bounded: at 1024 keys, those quiet for a minute are forgotten, or all of them', async (t) => {
  let now = 0;
  const l = new LogThrottle(() => now);
  for (let i = 0; i < 1024; i++) l.count(`k${i}`);
  now = 30_000;
  l.count('old');
  t.equal(l.size, 1, 'none had a line a minute ago: all forgotten');
  now = 50_000;
  for (let i = 0; i < 1023; i++) l.count(`k${i}`);
  t.equal(l.size, 1024);
  now = 90_000;
  t.equal(l.count('fresh'), 1);
  t.equal(l.size, 1024, "'old' (its line a minute ago) forgotten, the others kept");
  t.equal(l.count('k0'), 0, 'k0 kept: its minute is not over');
  t.equal(l.count('old'), 1, "'old' forgotten: a line again");
});
