// At most one line a minute per key, with the count since the last line (injected clock); the
// logger around it that every line a remote party can trigger goes through.
import t from 'tap';
import { LogThrottle, ThrottledLog } from '../src/log-throttle.js';
import { captureLog, LEVEL } from './helpers/logger.js';

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

t.test('ThrottledLog: the first line of a kind at once, then one a minute with the count', async (t) => {
  let now = 0;
  const log = captureLog();
  const l = new ThrottledLog(log.logger, () => now);
  l.warn({ client: 'a' }, 'bad thing');
  l.warn({ client: 'b' }, 'bad thing');
  l.error({}, 'other thing');
  l.warn({ code: 'EPERM' }, 'socket error', 'socket error EPERM');
  l.warn({ code: 'ENOBUFS' }, 'socket error', 'socket error ENOBUFS');
  l.warn({ code: 'ENOBUFS' }, 'socket error', 'socket error ENOBUFS');
  t.match(log.lines, [
    { level: LEVEL.warn, msg: 'bad thing', client: 'a', count: 1 },
    { level: LEVEL.error, msg: 'other thing', count: 1 },
    { level: LEVEL.warn, msg: 'socket error', code: 'EPERM', count: 1 },
    { level: LEVEL.warn, msg: 'socket error', code: 'ENOBUFS', count: 1 },
  ]);
  t.equal(log.lines.length, 4, 'a kind (the message, or the key given) is written once within its minute');
  now = 60_000;
  l.warn({ client: 'c' }, 'bad thing');
  l.warn({ client: 'd' }, 'bad thing');
  l.info({}, 'news');
  t.match(log.lines.slice(4), [
    { level: LEVEL.warn, msg: 'bad thing', client: 'c', count: 2 },
    { level: LEVEL.info, msg: 'news', count: 1 },
  ]);
  t.equal(log.lines.length, 6, 'then one line a minute, counting the quiet ones');
});
