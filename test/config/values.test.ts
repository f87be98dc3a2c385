// The values shared by the config file and the command line (user names), and freezing a config.
import t from 'tap';
import { deepFreeze, parseUser } from '../../src/config/values.js';

t.test('parseUser: names as /etc/passwd spells them, numeric uids, or none', async (t) => {
  // A machine account's trailing "$" and an all-digit uid are users too.
  for (const user of ['', 'dnsfwd', '_dnsfwd', 'svc-dns.1', 'host$', '1000']) {
    t.same(parseUser(user), { ok: true, value: user }, JSON.stringify(user));
  }
  // A name starts with a letter or "_"; digits alone are a uid.
  for (const user of ['1abc', 'a b', '-x', 'a$b', '$']) {
    t.same(parseUser(user), { ok: false, reason: `"${user}": not a user name or numeric uid` }, JSON.stringify(user));
  }
});

// null is a value like any other: it is left as it is, what surrounds it is frozen.
t.test('deepFreeze freezes every object reachable, nulls included', async (t) => {
  const v = deepFreeze({ a: null, b: { c: [1, null, { d: 2 }] } });
  t.ok(Object.isFrozen(v) && Object.isFrozen(v.b) && Object.isFrozen(v.b.c) && Object.isFrozen(v.b.c[2]), 'all frozen');
  t.equal(v.a, null);
  t.equal(deepFreeze(null), null, 'null itself');
});
