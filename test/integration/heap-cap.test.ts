// The heap limit bin/dnsfwd gives the daemon holds the largest cache a config allows: a node with
// the settings of cache.size 1,000,000 and cache.max_bytes 1 GiB fills a real PacketCache with
// 1,000,000 of the entries that cost the V8 heap most (fill-cache.ts) and ends normally. The
// same fill under a limit without the cache's share (HEAP_BASE_MIB) ends in "heap out of memory":
// the fill is heavy enough for the limit to matter.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HEAP_BASE_MIB, nodeSettings } from '../../src/cli/node-settings.js';

const FILL = fileURLToPath(new URL('../helpers/fill-cache.js', import.meta.url));
const SIZE = 1_000_000;
const MAX_BYTES = 1 << 30;

function fill(flags: readonly string[]): { status: number | null; out: string; err: string } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [...flags, '--expose-gc', FILL, String(SIZE), String(MAX_BYTES)], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

t.test('the settings of the largest cache hold it', async (t) => {
  const flags = nodeSettings({ size: SIZE, maxBytes: MAX_BYTES }).flags;
  const r = fill(flags);
  t.equal(r.status, 0, `filled under ${flags.join(' ')}`, { stderr: r.err.slice(-2000) });
  const result = JSON.parse(r.out) as { entries: number; bytes: number; heapUsed: number };
  t.equal(result.entries, SIZE, 'every entry held');
  t.ok(result.bytes > MAX_BYTES * 0.95, 'and they take (almost) all of max_bytes');
});

t.test('without the cache\'s share of the heap, the same fill runs out of memory', async (t) => {
  const flags = [...nodeSettings({ size: 0, maxBytes: MAX_BYTES }).flags];
  t.same(flags.at(-1), `--max-old-space-size=${HEAP_BASE_MIB}`);
  const r = fill(flags);
  t.not(r.status, 0);
  t.match(r.err, /heap out of memory/);
});
