// Every documented way to start dnsfwd goes through its one entry, bin/dnsfwd (installed as
// /usr/sbin/dnsfwd), which gives node the settings of the config (src/cli/node-settings.ts): the
// systemd unit, the OpenRC script, npm start and the package's bin. None names node or a V8 option
// itself, so they cannot drift apart.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { ROOT } from './helpers/tools.js';

const read = (file: string): string => readFileSync(`${ROOT}/${file}`, 'utf8');

t.test('systemd and OpenRC run /usr/sbin/dnsfwd, and install.sh puts bin/dnsfwd there', async (t) => {
  const unit = read('systemd/dnsfwd.service');
  t.same(/^ExecStart=(.*)$/m.exec(unit)?.[1], '/usr/sbin/dnsfwd run $DNSFWD_OPTS');
  t.same(/^ExecReload=(.*)$/m.exec(unit)?.[1], '/usr/sbin/dnsfwd reload --pid $MAINPID $DNSFWD_OPTS');
  const openrc = read('openrc/dnsfwd');
  t.match(openrc, /^: "\$\{DNSFWD_BIN:=\/usr\/sbin\/dnsfwd\}"$/m);
  t.match(openrc, /^command="\$\{DNSFWD_BIN\}"$/m);
  t.match(/^command_args="(.*)"$/m.exec(openrc)?.[1], /^run /);
  for (const text of [unit, openrc]) {
    const code = text.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    t.notMatch(code, /(\bnode\b|--max-[a-z-]+-size|--single-threaded)/, 'no node, no V8 option of their own');
  }
  t.match(read('scripts/install.sh'), /put_file "\$REPO\/bin\/dnsfwd" \/usr\/sbin\/dnsfwd 0 0 0755/);
});

t.test('npm start and the package bin run bin/dnsfwd; package.json has no node flags of its own', async (t) => {
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; scripts: Record<string, string>; config?: unknown };
  t.same(pkg.bin, { dnsfwd: 'bin/dnsfwd' });
  t.match(pkg.scripts.start, /(^| )sh bin\/dnsfwd run$/);
  t.equal(pkg.config, undefined, 'no config.node_flags: the settings come from bin/dnsfwd');
});
