// A server's health is evidence about the server, kept per route: one client's names that the
// first server refuses do not move everyone else to the second server; a server that refuses one
// route's zone is still first for the other routes, and nothing is logged about it; a silent
// server is probed by one query at a time once its down time is over.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startDnsfwd } from '../helpers/daemon.js';
import { decode, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { rawReply, startRawUpstream, type RawQuery } from '../helpers/raw-upstream.js';
import { udpExchange } from '../helpers/udp-client.js';

const LISTEN = '127.0.70.1';
const A = '127.0.70.2';
const B = '127.0.70.3';
const DOWN_MS = 1000;

const qname = (q: RawQuery) => q.decoded.questions![0]!.name.toLowerCase();
// A: refuses r*.steer.test and lan.test, never answers hole.test, answers everything else with 10.70.0.1.
const aPort = await freePort(A);
const a = await startRawUpstream(A, aPort, (q) => {
  const n = qname(q);
  if (n.endsWith('hole.test')) return null;
  if (n.endsWith('lan.test') || n.startsWith('r')) return rawReply(q, { rcode: 5 });
  return rawReply(q, { addresses: ['10.70.0.1'], ttl: 0 });
});
const bPort = await freePort(B);
const b = await startRawUpstream(B, bPort, (q) => rawReply(q, { addresses: ['10.70.0.2'], ttl: 0 }));
const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-health-'));
writeFileSync(join(dir, 'dnsfwd.yaml'), `upstream:\n  timeout_ms: 500\n  down_ms: ${DOWN_MS}\n`);
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--config', join(dir, 'dnsfwd.yaml'),
  '--listen', `${LISTEN}:${port}`,
  '--route', `steer.test=${A}:${aPort},${B}:${bPort}`,
  '--route', `hole.test=${A}:${aPort},${B}:${bPort}`,
  '--route', `lan.test=${A}:${aPort}`,
  '--upstream', `${A}:${aPort},${B}:${bPort}`,
  '--lease-file', '/nonexistent/dhclient.leases',
]);
t.teardown(async () => {
  await daemon.stop();
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The first A record's address in the answer to `name`, or the RCODE's name. */
async function ask(name: string): Promise<string> {
  const r = decode(await udpExchange(LISTEN, port, query(name)));
  return r.rcode !== 'NOERROR' ? r.rcode : String((r.answers![0] as { data: string }).data);
}

const healthLines = (since: number) => daemon.logs.slice(since).filter((l) => l.msg === 'upstream failed: moved to the back of the order' || l.msg === 'upstream answering again');

t.test('one client asking names the first server refuses does not move the others to the second', async (t) => {
  const since = daemon.logs.length;
  for (let i = 0; i < 5; i++) await ask(`n${i}.steer.test`);
  const refused = await Promise.all(Array.from({ length: 5 }, (_, i) => ask(`r${i}.steer.test`)));
  t.same(refused, Array(5).fill('10.70.0.2'), 'the second server answers what the first refuses');
  const others = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(`m${i}.steer.test`)));
  t.same(others, Array(20).fill('10.70.0.1'), "everyone else's names: still the first server's answers");
  t.same(healthLines(since), [], 'no server went down');
});

t.test("a server that refuses one route's zone is still first for the others, and nothing is logged", async (t) => {
  const since = daemon.logs.length;
  for (let i = 0; i < 30; i++) t.equal(await ask(`h${i}.lan.test`), 'REFUSED', `h${i}.lan.test`);
  const dot = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(`w${i}.example`)));
  t.same(dot, Array(10).fill('10.70.0.1'), 'the default route: the same server, first');
  t.same(healthLines(since), [], 'no health change logged');
});

t.test('a silent server is probed by one query at a time once its down time is over', async (t) => {
  const since = daemon.logs.length;
  t.equal(await ask('first.hole.test'), '10.70.0.2', 'answered by the second server after the first timed out');
  await daemon.waitForLog((l) => l.msg === 'upstream failed: moved to the back of the order' && l.zone === 'hole.test', 10_000, since);
  const seenBefore = a.seen.filter((q) => qname(q).endsWith('hole.test')).length;
  t.equal(seenBefore, 1, 'the first server was asked once');
  await new Promise((r) => setTimeout(r, DOWN_MS + 100)); // its down time is over
  const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => ask(`x${i}.hole.test`)));
  t.same(answers, Array(6).fill('10.70.0.2'), 'all answered by the second server');
  const probes = a.seen.filter((q) => qname(q).endsWith('hole.test')).length - seenBefore;
  t.equal(probes, 1, 'one of the six probed the first server; the other five went to the second at once');
  t.equal(daemon.logs.slice(since).filter((l) => l.msg === 'upstream failed: moved to the back of the order').length, 1, 'down once, said once');
});
