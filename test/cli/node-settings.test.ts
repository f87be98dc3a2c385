// The Node settings the daemon runs with, and a process counts as started with them only when its
// node options have each one, last.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSettings, HEAP_MIB, nodeSettings, relaunchScript, settingsApplied } from '../../src/cli/node-settings.js';

t.test('formatSettings: environment words, then node options, on one line', async (t) => {
  t.equal(formatSettings({ flags: ['--a=1', '--b'], env: { X: '2' } }), 'X=2 --a=1 --b');
  t.equal(formatSettings(nodeSettings()), `--max-semi-space-size=1 --heap-growing-percent=10 --optimize-for-size --single-threaded --expose-gc --max-old-space-size=${HEAP_MIB}`);
});

t.test('settingsApplied: each option present, the last of its name', async (t) => {
  const s = { flags: ['--max-semi-space-size=1', '--single-threaded', '--max-old-space-size=200'], env: {} };
  t.ok(settingsApplied(s, ['--max-semi-space-size=1', '--single-threaded', '--max-old-space-size=200'], {}));
  t.ok(settingsApplied(s, ['--inspect', '--max-old-space-size=100', '--max-semi-space-size=1', '--single-threaded', '--max-old-space-size=200'], {}));
  t.notOk(settingsApplied(s, ['--max-semi-space-size=1', '--single-threaded'], {}), 'no heap limit');
  t.notOk(settingsApplied(s, ['--max-semi-space-size=1', '--single-threaded', '--max-old-space-size=200', '--max-old-space-size=100'], {}), 'overridden later');
  const b = { flags: ['--optimize-for-size'], env: {} };
  t.ok(settingsApplied(b, ['--no-optimize-for-size', '--optimize-for-size'], {}), 'a boolean option, turned on last');
  t.notOk(settingsApplied(b, ['--optimize-for-size', '--no-optimize-for-size'], {}), 'a boolean option turned off later');
  t.notOk(settingsApplied({ flags: [], env: { X: '1' } }, [], {}), 'an environment variable missing');
  t.ok(settingsApplied({ flags: [], env: { X: '1' } }, [], { X: '1' }));
});

t.test("relaunchScript: the tsc build's entry runs the single-file build beside it, when there is one", async (t) => {
  const dir = t.testdir({ dist: { cli: { 'main.js': '' } }, other: { 'main.js': '' } });
  const entry = join(dir, 'dist', 'cli', 'main.js');
  t.equal(relaunchScript(entry), entry, 'no dist/dnsfwd.mjs: itself');
  writeFileSync(join(dir, 'dist', 'dnsfwd.mjs'), '');
  t.equal(relaunchScript(entry), join(dir, 'dist', 'dnsfwd.mjs'), 'the bundle beside it');
  t.equal(relaunchScript(join(dir, 'dist', 'dnsfwd.mjs')), join(dir, 'dist', 'dnsfwd.mjs'), 'the bundle: itself');
  t.equal(relaunchScript(join(dir, 'other', 'main.js')), join(dir, 'other', 'main.js'), 'another main.js: itself');
});
