// One upstream's bad replies cost no one else: a fuzzing first server of the fuzz.test route
// answers with random bytes and mutations of a valid reply (its ID and question copied in, section
// counts blown up, records cut, bytes flipped), a healthy second server answers what the first
// botched, and a canary client asking the default route keeps getting answers throughout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

import { startDnsfwd } from '../helpers/daemon.js';
import { fuzzReply, fuzzSeed, Prng } from '../helpers/fuzz.js';
import { freePort } from '../helpers/ports.js';
import { rawReply, startRawUpstream, type RawQuery } from '../helpers/raw-upstream.js';
import { udpAsker } from '../helpers/udp-client.js';

const LISTEN = '127.0.61.1';
const FUZZER = '127.0.61.2';
const HEALTHY = '127.0.61.3';
/** Fuzzed replies' worth of queries sent to the fuzz.test route. */
const FUZZED = 20_000;
/** Queries of the load in flight at once: the next is sent when one is answered. */
const WINDOW = 200;

const rng = new Prng(fuzzSeed(61));
const fuzz = (q: RawQuery) => fuzzReply(rng, q, ['10.61.0.66', '10.61.0.67']);
t.comment(`fuzz seed ${rng.seed} (FUZZ_SEED=${rng.seed} replays it)`);

const fuzzerPort = await freePort(FUZZER);
const healthyPort = await freePort(HEALTHY);
const fuzzer = await startRawUpstream(FUZZER, fuzzerPort, fuzz);
const healthy = await startRawUpstream(HEALTHY, healthyPort, (q) => rawReply(q, { addresses: ['10.61.0.1'] }));
const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-bad-replies-'));
// down_ms 0: the fuzzer stays first in its route's order however often it fails, so every query of
// the load gets a fuzzed reply.
writeFileSync(join(dir, 'dnsfwd.yaml'), 'upstream:\n  down_ms: 0\n');
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--config', join(dir, 'dnsfwd.yaml'),
  '--listen', `${LISTEN}:${port}`,
  '--route', `fuzz.test=${FUZZER}:${fuzzerPort},${HEALTHY}:${healthyPort}`,
  '--upstream', `${HEALTHY}:${healthyPort}`,
  '--lease-file', '/nonexistent/dhclient.leases',
]);
t.teardown(async () => {
  await daemon.stop();
  await fuzzer.close();
  await healthy.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A client on 127.0.0.1 whose queries wait `ms` for their reply. */
async function client(ms: number) {
  const c = await udpAsker('127.0.0.1', port, LISTEN);
  return { ask: (name: string) => c.ask(name, ms), close: c.close };
}

t.test(`${FUZZED} fuzzed replies: the canary is answered, the daemon lives, the second server covers the first`, async (t) => {
  const canary = await client(2_000);
  const load = await client(6_000); // every accepted query is answered within its 4 s deadline
  let loadDone = false;
  let asked = 0;
  let answered = 0;
  const canaryRun = (async () => {
    for (let i = 0; !loadDone; i++) {
      asked++;
      const r = await canary.ask(`c${i}.canary.example`);
      if (r && r[3]! % 16 === 0 && r.includes(Buffer.from([10, 61, 0, 1]))) answered++;
    }
  })();
  const outcomes = { healthy: 0, servfail: 0, other: 0, none: 0 };
  let sent = 0;
  const worker = async () => {
    while (sent < FUZZED) {
      const r = await load.ask(`f${sent++}.fuzz.test`);
      if (r === null) outcomes.none++;
      else if (r.includes(Buffer.from([10, 61, 0, 1]))) outcomes.healthy++;
      else if ((r[3]! & 0x0f) === 2) outcomes.servfail++;
      else outcomes.other++;
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  loadDone = true;
  await canaryRun;
  canary.close();
  load.close();
  const fuzzed = fuzzer.seen.length;
  t.comment(`fuzzed replies ${fuzzed}; load outcomes ${JSON.stringify(outcomes)}; canary ${answered}/${asked}`);
  t.ok(daemon.alive, 'the daemon is still running');
  t.ok(fuzzed >= FUZZED, `the fuzzer answered at least ${FUZZED} queries (${fuzzed})`);
  t.ok(answered / asked >= 0.99, `the canary got its answer for ${answered} of ${asked} queries`);
  t.ok(outcomes.healthy > FUZZED / 2, `most of the load was answered by the second server (${outcomes.healthy})`);
  t.equal(daemon.logs.filter((l) => (l.level ?? 0) >= 50).length, 0, 'no error logged');
  // Afterwards: a fuzz.test name is answered by the second server, a default-route name as ever.
  const after = await client(5_000);
  const r = await after.ask('after.canary.example');
  after.close();
  t.ok(r && r.includes(Buffer.from([10, 61, 0, 1])), 'the canary is answered after the run');
});
