// Under a Node older than 18.19 — here Debian 11's nodejs 12, as Ubuntu 22.04 ships one — every way
// to start dnsfwd prints one line (the version found, the version needed, where the README says
// how to get one) and exits 1: never a stack, never a syntax error in minified code. And
// scripts/install.sh refuses such a node before it changes anything.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { debianNode } from '../helpers/debian-node.js';
import { BIN, CLI, requireBuild, ROOT } from '../helpers/tools.js';

requireBuild();
const node12 = debianNode(12);
const version = spawnSync('env', ['-u', 'NODE_OPTIONS', ...node12.env, node12.node, '-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
const ONE_LINE = new RegExp(
  `^dnsfwd: Node\\.js ${version.replace(/\./g, '\\.')} \\(.*\\) is too old: dnsfwd needs Node\\.js 18\\.19 or newer \\(README\\.md, section Install, says which package to install\\)\\n$`,
);

t.equal(version.split('.')[0], '12', 'the old node runs');

const entries: Record<string, string[]> = {
  'bin/dnsfwd (npm start, the package bin, the services, /usr/sbin/dnsfwd)': [BIN, 'run', '--listen', '127.0.79.9:5300'],
  'node dist/dnsfwd.mjs': [node12.node, CLI, 'run'],
  'node dist/cli/main.js': [node12.node, join(ROOT, 'dist/cli/main.js'), 'status'],
  'node dist/dnsfwd.mjs --node-settings': [node12.node, CLI, '--node-settings', 'run'],
};

for (const [name, argv] of Object.entries(entries)) {
  t.test(name, async (t) => {
    const r = spawnSync('env', ['-u', 'NODE_OPTIONS', ...node12.env, `DNSFWD_NODE=${node12.node}`, ...argv], { encoding: 'utf8' });
    t.equal(r.status, 1, 'exit 1');
    t.match(r.stderr, ONE_LINE, 'one line: the version found, the version needed, the README');
    t.equal(r.stdout, '', 'nothing else');
  });
}

t.test('scripts/install.sh stops before any change when the target\'s node is too old', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dnsfwd-old-node-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  symlinkSync(node12.node, join(root, 'usr/bin/node'));
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', ...node12.env, 'sh', join(ROOT, 'scripts/install.sh'), '--root', root, '--distro', 'debian', '--dhcp', 'dhclient'], { encoding: 'utf8' });
  t.equal(r.status, 1, 'exit 1');
  t.match(r.stderr, /is too old: dnsfwd needs Node\.js 18\.19 or newer/);
  t.match(r.stderr, /dnsfwd install: error: .*usr\/bin\/node cannot run dnsfwd/);
  t.same(readdirSync(root).sort(), ['etc', 'usr'], 'nothing written: no var/lib/dnsfwd, no usr/lib/dnsfwd');
  t.same(readdirSync(join(root, 'usr')), ['bin']);
});
