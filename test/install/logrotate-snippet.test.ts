// The logrotate snippet install.sh puts in /etc/logrotate.d on Alpine is the admin's to edit, as
// /etc/conf.d/dnsfwd is (its paths follow DNSFWD_LOG there): an edited one is kept by a second
// install and by --uninstall. (alpine-udhcpc.test.ts checks the file laid out.)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ALPINE_UDHCPC } from '../helpers/fake-systems.js';
import { InstallSandbox } from '../helpers/install-script.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the install tests check file owners that only root can set');

t.test('an edited logrotate snippet is kept by a second install and by --uninstall', async (t) => {
  const box = new InstallSandbox(ALPINE_UDHCPC);
  t.teardown(() => box.remove());
  t.equal(box.run().status, 0);
  const edited = box.read('etc/logrotate.d/dnsfwd').replace('weekly', 'daily');
  writeFileSync(join(box.root, 'etc/logrotate.d/dnsfwd'), edited);
  t.equal(box.run().status, 0);
  t.equal(box.read('etc/logrotate.d/dnsfwd'), edited, 'not overwritten');
  const u = box.run('--uninstall');
  t.equal(u.status, 0);
  t.match(u.stderr, '/etc/logrotate.d/dnsfwd was edited: kept');
  t.equal(box.read('etc/logrotate.d/dnsfwd'), edited);
});
