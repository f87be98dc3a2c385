// install.sh and every shell file it installs (dnsfwd's entry bin/dnsfwd, hooks, udhcpc.conf, the
// OpenRC script and its conf.d file), and the scripts npm start and .ci/run use, are POSIX sh that shellcheck has nothing to say about.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { requireTool, ROOT } from '../helpers/tools.js';

requireTool('shellcheck');

const FILES = [
  'scripts/install.sh',
  'bin/dnsfwd',
  'scripts/build-if-stale.sh',
  'scripts/test-nodes.sh',
  'config/dhclient-enter-hook',
  'config/dhcpcd.exit-hook',
  'config/udhcpc.conf',
  'openrc/dnsfwd',
  'openrc/dnsfwd.confd',
];

for (const file of FILES) {
  t.test(`shellcheck --shell=sh ${file}`, async (t) => {
    const r = spawnSync('shellcheck', ['--shell=sh', '--severity=style', join(ROOT, file)], { encoding: 'utf8' });
    t.equal(r.status, 0, 'clean', { output: r.stdout + r.stderr });
  });
}
