// `dnsfwd check` reports what `run` would drop or refuse on this host as errors located where
// they were written: a server that is dnsfwd itself, a user that does not exist.
import { writeFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { hostProblems } from '../../src/cli/host-checks.js';
import { applyOverrides, defaultConfig, formatConfigError, loadConfigFile } from '../../src/config/load.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndnsfwd:x:101:102::/nonexistent:/usr/sbin/nologin\n';

async function problems(t: Test, yaml: string, flags: Parameters<typeof applyOverrides>[1] = {}): Promise<string[]> {
  const dir = t.testdir({ 'passwd': PASSWD });
  const file = `${dir}/dnsfwd.yaml`;
  writeFileSync(file, yaml);
  const base = await loadConfigFile(file);
  if (!base.ok) throw new Error(formatConfigError(base.error));
  const final = applyOverrides(base.config, flags);
  if (!final.ok) throw new Error(formatConfigError(final.error));
  return hostProblems(final.config, base.config, base.locate, `${dir}/passwd`).map((e) => formatConfigError(e).replaceAll(dir, 'DIR'));
}

t.test('a route server that is one of our listen addresses: an error at its line', async (t) => {
  const yaml = ['listen: ["127.0.0.1:53"]', 'routes:', '  - zone: vagrant.test', '    servers: ["192.168.121.1", "127.0.0.1"]', ''].join('\n');
  t.same(await problems(t, yaml), [
    'DIR/dnsfwd.yaml:4:32: routes[0].servers[1]: 127.0.0.1:53 is dnsfwd itself (it is one of our listen addresses): run would not forward to it',
  ]);
});

t.test('loopback servers that are someone else are no problem', async (t) => {
  const yaml = ['listen: ["127.0.0.1:53"]', 'routes:', '  - zone: vagrant.test', '    servers: ["127.0.0.2", "127.0.0.53"]', 'default:', '  servers: ["127.0.1.1"]', ''].join('\n');
  t.same(await problems(t, yaml), []);
});

t.test('a static default server that is us, and a user that does not exist', async (t) => {
  const yaml = ['listen: ["0.0.0.0:5300"]', 'user: nobody-here', 'default:', '  servers: ["127.0.0.9:5300"]', ''].join('\n');
  t.same(await problems(t, yaml), [
    'DIR/dnsfwd.yaml:4:13: default.servers[0]: 127.0.0.9:5300 is dnsfwd itself (an address of this host on port 5300, where dnsfwd listens on every address): run would not forward to it',
    'DIR/dnsfwd.yaml:2:7: user: user "nobody-here" does not exist (DIR/passwd): run would stop after binding its sockets',
  ]);
  t.same(await problems(t, 'user: dnsfwd\n'), [], 'a user that exists');
});

t.test('settings the command line gave are reported as the flag', async (t) => {
  const out = await problems(t, 'listen: ["127.0.0.1:53"]\n', { route: ['test=127.0.0.1'], upstream: ['127.0.0.1:53'], user: 'ghost' });
  t.same(out, [
    '<command line>: --route: 127.0.0.1:53 is dnsfwd itself (it is one of our listen addresses): run would not forward to it',
    '<command line>: --upstream: 127.0.0.1:53 is dnsfwd itself (it is one of our listen addresses): run would not forward to it',
    '<command line>: --user: user "ghost" does not exist (DIR/passwd): run would stop after binding its sockets',
  ]);
});

t.test('the embedded default config: its settings are reported as the built-in defaults', async (t) => {
  const final = applyOverrides(defaultConfig(), { listen: ['127.0.0.1:8600'] });
  if (!final.ok) throw new Error(final.error.reason);
  t.same(hostProblems(final.config, defaultConfig(), undefined).map(formatConfigError), [
    '(built-in defaults): routes[0].servers[0]: 127.0.0.1:8600 is dnsfwd itself (it is one of our listen addresses): run would not forward to it',
  ]);
});
