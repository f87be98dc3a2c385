// The Node settings the daemon runs with, and a process counts as started with them only when its
// node options have each one, last.
import t from 'tap';
import { formatSettings, HEAP_MIB, nodeSettings, settingsApplied } from '../../src/cli/node-settings.js';

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
