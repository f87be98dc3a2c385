// The service files run the single-file build with the V8 settings the tests and the benchmark
// use (package.json config.node_flags): they cannot drift apart.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { NODE_FLAGS, ROOT } from './helpers/tools.js';

t.test('systemd and OpenRC start dnsfwd.mjs with config.node_flags', async (t) => {
  const unit = readFileSync(`${ROOT}/systemd/dnsfwd.service`, 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
  t.match(exec, `/usr/bin/node ${NODE_FLAGS.join(' ')} /usr/lib/dnsfwd/dnsfwd.mjs run`);
  const openrc = readFileSync(`${ROOT}/openrc/dnsfwd`, 'utf8');
  const args = /^command_args="(.*)"$/m.exec(openrc)?.[1] ?? '';
  t.match(args, `${NODE_FLAGS.join(' ')} \${DNSFWD_CLI:-/usr/lib/dnsfwd/dnsfwd.mjs} run`);
});
