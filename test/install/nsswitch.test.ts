// install.sh and /etc/nsswitch.conf: with systemd-resolved, `resolve` on the hosts line (Ubuntu's
// `resolve [!UNAVAIL=return] dns`) sends glibc programs to resolved instead of to resolv.conf and
// dnsfwd. install.sh leaves the file alone and warns with a command that fixes it; the command,
// run as printed, takes out just that entry.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { DEBIAN_DHCLIENT, UBUNTU_NETWORKD } from '../helpers/fake-systems.js';
import { snapshot } from '../helpers/file-tree.js';
import { InstallSandbox } from '../helpers/install-script.js';
import { requireRoot } from '../helpers/tools.js';

requireRoot('the install tests check file owners that only root can set');

const OTHER_LINES = 'passwd:         files systemd\ngroup:          files systemd\nnetworks:       files\n';
const UBUNTU_HOSTS = 'hosts:          files mdns4_minimal [NOTFOUND=return] resolve [!UNAVAIL=return] dns myhostname\n';
const NSSWITCH = `${OTHER_LINES}${UBUNTU_HOSTS}`;

t.test('Ubuntu with resolve on the hosts line: a warning whose command fixes it', async (t) => {
  const box = new InstallSandbox({ ...UBUNTU_NETWORKD, 'etc/nsswitch.conf': NSSWITCH });
  t.teardown(() => box.remove());
  const r = box.run();
  t.equal(r.status, 0, r.stderr);
  const m = /warning: (\S+)\/etc\/nsswitch\.conf: 'resolve' on the hosts line sends glibc programs to systemd-resolved, not to dnsfwd; to take it out: (.*)$/m.exec(r.stderr);
  t.ok(m, 'the warning', { stderr: r.stderr });
  t.equal(box.read('etc/nsswitch.conf'), NSSWITCH, 'install.sh itself leaves nsswitch.conf alone');
  const fix = spawnSync('sh', ['-c', m![2]!], { encoding: 'utf8' });
  t.equal(fix.status, 0, fix.stderr);
  t.equal(box.read('etc/nsswitch.conf'), `${OTHER_LINES}hosts:          files mdns4_minimal [NOTFOUND=return] dns myhostname\n`, 'only resolve and its action taken out');
  const again = box.run();
  t.equal(again.status, 0);
  t.notMatch(again.stderr, 'nsswitch.conf', 'no warning once fixed');
});

t.test('no warning without resolve on the hosts line, nor without systemd-resolved', async (t) => {
  for (const [name, seed] of [
    ['Ubuntu, hosts: files dns', { ...UBUNTU_NETWORKD, 'etc/nsswitch.conf': `${OTHER_LINES}hosts: files dns\n` }],
    ['Ubuntu, "resolve" only in a comment and on another line', { ...UBUNTU_NETWORKD, 'etc/nsswitch.conf': `# hosts: resolve dns\nnetworks: resolve\nhosts: files dns\n` }],
    ['Debian without resolved, resolve on the hosts line', { ...DEBIAN_DHCLIENT, 'etc/nsswitch.conf': NSSWITCH }],
  ] as const) {
    const box = new InstallSandbox(seed);
    t.teardown(() => box.remove());
    const before = snapshot(box.root)['etc/nsswitch.conf'];
    const r = box.run();
    t.equal(r.status, 0, r.stderr);
    t.notMatch(r.stderr, 'nsswitch.conf', name);
    t.equal(snapshot(box.root)['etc/nsswitch.conf'], before);
  }
});
