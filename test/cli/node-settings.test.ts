// The Node settings of a config: the heap limit grows with cache.size and cache.max_bytes, and a
// process counts as started with them only when its node options have each one, last.
import t from 'tap';
import { formatSettings, HEAP_BASE_MIB, HEAP_PER_ENTRY, heapCapMiB, nodeSettings, settingsApplied } from '../../src/cli/node-settings.js';

t.test('heapCapMiB: the base, plus each entry and each byte of max_bytes', async (t) => {
  t.equal(heapCapMiB({ size: 0, maxBytes: 1 << 30 }), HEAP_BASE_MIB, 'no cache: the base only');
  t.equal(heapCapMiB({ size: 10000, maxBytes: 33554432 }), HEAP_BASE_MIB + Math.ceil((10000 * HEAP_PER_ENTRY + 33554432) / 2 ** 20));
  t.ok(heapCapMiB({ size: 1000000, maxBytes: 1 << 30 }) > heapCapMiB({ size: 1000000, maxBytes: 1 << 20 }));
  t.ok(heapCapMiB({ size: 1000000, maxBytes: 1 << 20 }) > heapCapMiB({ size: 1000, maxBytes: 1 << 20 }));
});

t.test('formatSettings: environment words, then node options, on one line', async (t) => {
  t.equal(formatSettings({ flags: ['--a=1', '--b'], env: { X: '2' } }), 'X=2 --a=1 --b');
  t.equal(formatSettings(nodeSettings({ size: 10000, maxBytes: 33554432 })), `--max-semi-space-size=1 --heap-growing-percent=10 --optimize-for-size --single-threaded --max-old-space-size=${heapCapMiB({ size: 10000, maxBytes: 33554432 })}`);
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
