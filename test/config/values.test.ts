// The values shared by the config file and the command line (user names, the control socket), and
// freezing a config.
import t from 'tap';
import { deepFreeze, parseControlSocket, parseUser } from '../../src/config/values.js';

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

t.test('parseControlSocket: an absolute path a Unix socket can have, or "" for none', async (t) => {
  const longest = '/' + 'a'.repeat(106); // 107 bytes: sun_path's 108 less the NUL
  for (const path of ['', '/run/dnsfwd/control.sock', '/s', longest]) {
    t.same(parseControlSocket(path), { ok: true, value: path }, JSON.stringify(path));
  }
  const cases: Array<[string, RegExp]> = [
    ['control.sock', /^"control\.sock": must be an absolute path \(or "" for no control socket\)$/],
    ['./c.sock', /must be an absolute path/],
    ['/run/dnsfwd/', /^"\/run\/dnsfwd\/": names a directory, not a socket file$/],
    ['/run/a\0b', /^must not contain a NUL character$/],
    [longest + 'a', /^"\/a+": 108 bytes, longer than a Unix socket path can be \(107\)$/],
    ['/' + 'é'.repeat(54), /: 109 bytes, longer/], // bytes, not characters
  ];
  for (const [path, reason] of cases) {
    const r = parseControlSocket(path);
    t.equal(r.ok, false, JSON.stringify(path));
    if (!r.ok) t.match(r.reason, reason, JSON.stringify(path));
  }
});

// null is a value like any other: it is left as it is, what surrounds it is frozen.
t.test('deepFreeze freezes every object reachable, nulls included', async (t) => {
  const v = deepFreeze({ a: null, b: { c: [1, null, { d: 2 }] } });
  t.ok(Object.isFrozen(v) && Object.isFrozen(v.b) && Object.isFrozen(v.b.c) && Object.isFrozen(v.b.c[2]), 'all frozen');
  t.equal(v.a, null);
  t.equal(deepFreeze(null), null, 'null itself');
});
