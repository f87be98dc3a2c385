// A server's EDNS memory: asked without EDNS for a while after it rejected EDNS.
import t from 'tap';
import { Upstream } from '../../src/upstream/health.js';

// Guards `now < plainUntil`: without EDNS for exactly the time given, then with it again.
t.test('a server that rejected EDNS is asked without it for the time given', async (t) => {
  const u = new Upstream({ host: '10.0.0.1', port: 53, family: 4 } as never);
  t.equal(u.rejectsEdns(1000), false, 'EDNS by default');
  u.recordEdnsRejected(1000, 500);
  t.equal(u.rejectsEdns(1499), true, 'the last ms');
  t.equal(u.rejectsEdns(1500), false, 'over');
  t.equal(u.label, '10.0.0.1:53');
});
