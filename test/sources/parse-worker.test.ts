// Big source files are parsed in a worker thread running the program's entry script; small ones,
// or any when no worker script is set, on the main thread; the outcome is the same either way.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { INLINE_MAX, LEASES_PER_LINK, parseSource, recent, useParseWorker } from '../../src/sources/parse-worker.js';
import { parseDhclient } from '../../src/sources/parsers/dhclient.js';

const ENTRY = new URL('../../src/cli/main.js', import.meta.url);
const block = readFileSync(fileURLToPath(new URL('../../../test/fixtures/dhcp/dhclient-4.4.3-debian12_after-first-bind_2dns.leases', import.meta.url)), 'utf8');
const big = block.repeat(Math.ceil((4 * INLINE_MAX) / block.length));

t.test('a big file in a worker: the same outcome as on the main thread', async (t) => {
  t.teardown(() => useParseWorker(null));
  useParseWorker(ENTRY);
  let turns = 0;
  const ticking = setInterval(() => turns++, 0);
  const outcome = await parseSource('dhclient', big);
  clearInterval(ticking);
  t.same(outcome, recent(parseDhclient(big)));
  t.ok(outcome.ok && outcome.leases.length === LEASES_PER_LINK, 'one link: its last leases');
  t.ok(turns > 0, 'the event loop turned while the worker parsed');
});

t.test('small files, or no worker script: parsed on the main thread', async (t) => {
  useParseWorker(new URL('file:///nonexistent/entry.js'));
  t.teardown(() => useParseWorker(null));
  t.same(await parseSource('dhclient', block), parseDhclient(block), 'small: the bad script is never started');
  useParseWorker(null);
  t.same(await parseSource('dhclient', big), recent(parseDhclient(big)), 'no script: inline');
});

t.test('a worker that cannot run: the file is unusable, with the reason', async (t) => {
  t.teardown(() => useParseWorker(null));
  useParseWorker(new URL('file:///nonexistent/entry.js'));
  t.match(await parseSource('dhclient', big), { ok: false, reason: /^the parser (failed|stopped)/ });
});

t.test('recent: the last leases of each link, in file order; a failure as it is', async (t) => {
  const l = (link: string, n: number) => ({ link, servers: [{ host: `10.0.0.${n}`, port: 53, family: 4 as const }] });
  const leases = [...Array.from({ length: 12 }, (_, i) => l('4/eth0', i)), l('4/eth1', 99), l('4/eth0', 12)];
  const kept = recent({ ok: true, leases });
  t.ok(kept.ok);
  if (!kept.ok) return;
  t.same(kept.leases.map((x) => `${x.link} ${x.servers[0]!.host}`), [
    ...[5, 6, 7, 8, 9, 10, 11].map((i) => `4/eth0 10.0.0.${i}`),
    '4/eth1 10.0.0.99',
    '4/eth0 10.0.0.12',
  ]);
  const few = { ok: true as const, leases: leases.slice(0, 3) };
  t.equal(recent(few), few, 'nothing to drop: the same outcome');
  t.same(recent({ ok: false, reason: 'x' }), { ok: false, reason: 'x' });
});
