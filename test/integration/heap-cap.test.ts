// The heap limit bin/dnsfwd gives the daemon holds the largest cache a config allows: a node with
// the daemon's settings fills a real PacketCache of cache.size 1,000,000 and cache.max_bytes 1 GiB
// with 1,000,000 of the largest entries that fit (fill-cache.ts) and ends normally, with little
// of its V8 heap in use: the entries are kept outside the heap (packet-cache.ts). Entries kept as
// objects on the heap run this fill out of memory under the same limit.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { HEAP_MIB, nodeSettings } from '../../src/cli/node-settings.js';

const FILL = fileURLToPath(new URL('../helpers/fill-cache.js', import.meta.url));
const SIZE = 1_000_000;
const MAX_BYTES = 1 << 30;

function fill(flags: readonly string[]): { status: number | null; out: string; err: string } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [...flags, '--expose-gc', FILL, String(SIZE), String(MAX_BYTES)], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

t.test('the settings hold the largest cache, outside the V8 heap', async (t) => {
  const flags = nodeSettings().flags;
  t.same(flags.at(-1), `--max-old-space-size=${HEAP_MIB}`);
  const r = fill(flags);
  t.equal(r.status, 0, `filled under ${flags.join(' ')}`, { stderr: r.err.slice(-2000) });
  const result = JSON.parse(r.out) as { entries: number; bytes: number; heapUsed: number };
  t.equal(result.entries, SIZE, 'every entry held');
  t.ok(result.bytes > MAX_BYTES * 0.95, 'and they take (almost) all of max_bytes');
  t.ok(result.heapUsed < 32 * 2 ** 20, `V8 heap in use after a full collection: ${(result.heapUsed / 2 ** 20).toFixed(1)} MiB`);
});
