import t from 'tap';
import { cacheKey } from '../../src/cache/key.js';
import { PacketCache } from '../../src/cache/packet-cache.js';
import { defaultConfig } from '../../src/config/schema.js';
import type { CacheConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/log.js';
import { Counters } from '../../src/metrics.js';
import { cacheStage } from '../../src/pipeline/cache.js';
import { coalesceStage } from '../../src/pipeline/coalesce.js';
import { compose, type Handler, type Query } from '../../src/pipeline/handler.js';
import { parseQuery } from '../../src/wire/question.js';
import { answer, decode, query } from '../helpers/packets.js';

function q(bytes: Buffer): Query {
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('bad test query');
  return { bytes, question: p.question, key: cacheKey(bytes, p.question), transport: 'udp', deadline: Date.now() + 4000 };
}

function setup(upstream: Handler, over: Partial<CacheConfig> = {}, cached = (_: string) => true) {
  const clock = { t: 1_000_000 };
  const config = { ...defaultConfig().cache, ...over };
  const cache = new PacketCache({ size: config.size, maxBytes: config.maxBytes, staleMs: config.staleMaxAge * 1000 });
  const counters = new Counters();
  const calls: string[] = [];
  const counted: Handler = (query) => (calls.push(query.question.name), upstream(query));
  const handler = compose(
    [
      cacheStage({
        cache: () => cache,
        config: () => config,
        routeOf: (q) => ({ zone: q.question.name.endsWith('consul') ? 'consul' : '', cache: cached(q.question.name) }),
        deadlineMs: () => 4000,
        counters,
        log: silentLogger(),
        now: () => clock.t,
      }),
      coalesceStage(counters),
    ],
    counted,
  );
  return { handler, clock, counters, calls, cache };
}

const ttlOf = (b: Buffer) => (decode(b).answers?.[0] as { ttl: number } | undefined)?.ttl;
const dataOf = (b: Buffer) => (decode(b).answers?.[0] as { data: string } | undefined)?.data;

t.test('a second query is a hit with an aged TTL; the upstream saw one', async (t) => {
  const { handler, clock, counters, calls } = setup(async (x) => answer(x.bytes, ['10.0.0.1'], { ttl: 60 }));
  await handler(q(query('a.example', 'A', { id: 1 })));
  clock.t += 10_000;
  const hit = await handler(q(query('A.EXAMPLE', 'A', { id: 2 })));
  t.equal(calls.length, 1);
  t.equal(ttlOf(hit), 50);
  t.equal(decode(hit).id, 2);
  t.equal(decode(hit).questions?.[0]?.name, 'A.EXAMPLE');
  t.same([counters.hits, counters.misses], [1, 1]);
});

t.test('a route with cache: false is never cached; TTL 0 answers are not cached', async (t) => {
  const { handler, calls } = setup(async (x) => answer(x.bytes, ['10.0.0.1'], { ttl: x.question.name === 'zero.example' ? 0 : 60 }), {}, (n) => !n.endsWith('consul'));
  for (let i = 0; i < 3; i++) await handler(q(query('web.service.consul')));
  for (let i = 0; i < 3; i++) await handler(q(query('zero.example')));
  t.equal(calls.filter((n) => n === 'web.service.consul').length, 3);
  t.equal(calls.filter((n) => n === 'zero.example').length, 3);
});

t.test('serve-stale: when the upstream fails, the expired answer with TTL 30', async (t) => {
  let failing = false;
  const servfail = (x: Query) => {
    const r = answer(x.bytes, []);
    r[3] = (r[3]! & 0xf0) | 2;
    return r;
  };
  const { handler, clock, counters } = setup(async (x) => (failing ? servfail(x) : answer(x.bytes, ['10.0.0.1'], { ttl: 60 })));
  await handler(q(query('s.example')));
  clock.t += 120_000;
  failing = true;
  const r = await handler(q(query('s.example')));
  t.equal(decode(r).rcode, 'NOERROR');
  t.equal(dataOf(r), '10.0.0.1');
  t.equal(ttlOf(r), 30);
  t.equal(counters.staleServed, 1);
  clock.t += 2 * 86_400_000;
  const gone = await handler(q(query('s.example')));
  t.equal(decode(gone).rcode, 'SERVFAIL', 'past stale_max_age: SERVFAIL');
});

t.test('serve-stale off: SERVFAIL', async (t) => {
  let failing = false;
  const { handler, clock } = setup(async (x) => {
    const r = answer(x.bytes, failing ? [] : ['10.0.0.1'], { ttl: 60 });
    if (failing) r[3] = (r[3]! & 0xf0) | 2;
    return r;
  }, { serveStale: false });
  await handler(q(query('s.example')));
  clock.t += 120_000;
  failing = true;
  t.equal(decode(await handler(q(query('s.example')))).rcode, 'SERVFAIL');
});

t.test('a stale entry is served when the upstream is slower than stale_answer_timeout_ms', async (t) => {
  let slow = false;
  const { handler, clock } = setup(
    (x) => new Promise((res) => setTimeout(res, slow ? 300 : 0, answer(x.bytes, [slow ? '10.0.0.2' : '10.0.0.1'], { ttl: 60 }))),
    { staleAnswerTimeoutMs: 50 },
  );
  await handler(q(query('slow.example')));
  clock.t += 120_000;
  slow = true;
  const r = await handler(q(query('slow.example')));
  t.equal(dataOf(r), '10.0.0.1', 'the stale answer, at once');
  await new Promise((res) => setTimeout(res, 400));
  const fresh = await handler(q(query('slow.example')));
  t.equal(dataOf(fresh), '10.0.0.2', 'the late upstream answer was stored');
});

t.test('prefetch: a hit with 10% of the TTL left refreshes the entry in the background', async (t) => {
  let n = 0;
  const { handler, clock, calls, counters } = setup(async (x) => answer(x.bytes, [`10.0.0.${++n}`], { ttl: 100 }));
  await handler(q(query('p.example')));
  clock.t += 50_000;
  await handler(q(query('p.example')));
  t.equal(calls.length, 1, 'no prefetch with half the TTL left');
  clock.t += 45_000;
  const r = await handler(q(query('p.example')));
  t.equal(dataOf(r), '10.0.0.1', 'the hit is answered from the cache');
  await new Promise((res) => setImmediate(res));
  t.equal(calls.length, 2, 'one background refresh');
  t.equal(counters.prefetches, 1);
  clock.t += 10_000; // past the old entry's expiry
  const after = await handler(q(query('p.example')));
  t.equal(dataOf(after), '10.0.0.2', 'the refreshed entry answers: no miss');
  t.equal(calls.length, 2);
});

t.test('coalescing: N identical misses in flight share one upstream query, each with its own ID and case', async (t) => {
  const { handler, calls, counters } = setup((x) => new Promise((res) => setTimeout(res, 50, answer(x.bytes, ['10.0.0.9'], { ttl: 0 }))));
  const names = ['c.example', 'C.example', 'c.EXAMPLE', 'C.EXAMPLE', 'c.example'];
  const replies = await Promise.all(names.map((name, i) => handler(q(query(name, 'A', { id: 100 + i })))));
  t.equal(calls.length, 1, 'one upstream query');
  t.equal(counters.coalesced, 4);
  t.same(replies.map((r) => decode(r).id), [100, 101, 102, 103, 104]);
  t.same(replies.map((r) => decode(r).questions?.[0]?.name), names);
  t.same(replies.map(dataOf), Array(5).fill('10.0.0.9'));
  await handler(q(query('c.example')));
  t.equal(calls.length, 2, 'once answered (TTL 0, not cached), the next query goes upstream again');
});

t.test('coalescing keeps EDNS and non-EDNS clients apart', async (t) => {
  const { handler, calls } = setup((x) => new Promise((res) => setTimeout(res, 20, answer(x.bytes, ['10.0.0.9'], { ttl: 0 }))));
  await Promise.all([handler(q(query('e.example'))), handler(q(query('e.example', 'A', { edns: 1232 })))]);
  t.equal(calls.length, 2);
});
