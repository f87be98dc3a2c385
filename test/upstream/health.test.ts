// An upstream's health: down for down_ms after a failure, and what each change returns for logging.
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { Upstream } from '../../src/upstream/health.js';

const upstream = () => {
  const r = parseEndpoint('10.0.0.1');
  if (!r.ok) throw new Error(r.reason);
  return new Upstream(r.value);
};

// Guards `now < downUntil`: down for exactly down_ms, up again at its end.
t.test('a failed server is down for down_ms, and up at its end', async (t) => {
  const u = upstream();
  u.recordFailure(1000, 500);
  t.equal(u.isDown(1499), true, 'the last ms of down_ms');
  t.equal(u.isDown(1500), false, 'down_ms is over');
});

// Guards the return values that decide what is logged: newly down, and answering again.
t.test('recordFailure says whether the server is newly down; recordSuccess whether it was down', async (t) => {
  const u = upstream();
  t.equal(u.recordSuccess(1000), false, 'a success while up');
  t.equal(u.recordFailure(1000, 500), true, 'the first failure');
  t.equal(u.recordFailure(1200, 500), false, 'a failure while down');
  t.equal(u.downUntilMs, 1700, 'down_ms counts from the latest failure');
  t.equal(u.recordSuccess(1300), true, 'a success while down');
  t.equal(u.isDown(1300), false, 'up again at once');
  t.equal(u.recordFailure(2000, 500), true, 'a failure after the success: newly down again');
});
