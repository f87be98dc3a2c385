// Finding the user to become in /etc/passwd.
import t from 'tap';
import { findUser } from '../../src/cli/privileges.js';

t.test('findUser reads /etc/passwd lines by name or uid', async (t) => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\ndnsfwd:x:101:102::/nonexistent:/usr/sbin/nologin\nbroken\n';
  t.same(findUser('dnsfwd', passwd), { name: 'dnsfwd', uid: 101, gid: 102 });
  t.same(findUser('101', passwd), { name: 'dnsfwd', uid: 101, gid: 102 });
  t.equal(findUser('nobody', passwd), undefined);
  t.equal(findUser('broken', passwd), undefined);
});
