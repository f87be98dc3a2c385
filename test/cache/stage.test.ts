// The cache stage with the coalescing stage behind it, on a fake clock and a fake upstream: hits,
// TTL ageing, routes that do not cache, serve-stale, prefetch, coalescing, and route lookups.
import t from 'tap';
import type { CacheConfig } from '../../src/cache/config.js';
import { PacketCache } from '../../src/cache/packet-cache.js';
import { CacheCounters, cacheStage } from '../../src/cache/stage.js';
import { defaultConfig } from '../../src/config/schema.js';
import type { Logger } from '../../src/log.js';
import { CoalesceCounters, coalesceStage } from '../../src/pipeline/coalesce.js';
import { compose, type Handler } from '../../src/pipeline/handler.js';
import { Query, type AnswerNote, type RouteLookup } from '../../src/pipeline/query.js';
import { errorReply } from '../../src/wire/replies.js';
import type { UpstreamGroup } from '../../src/upstream/group.js';
import { nameText } from '../../src/wire/name.js';
import { parseQuery } from '../../src/wire/question.js';
import { questionKey } from '../../src/wire/question-key.js';
import { captureLog, quietLogger } from '../helpers/logger.js';
import { answer, decode, query } from '../helpers/packets.js';

/** Routes by name: `consul` names to the consul zone, the rest to the root; `cached` says which routes cache. */
function fakeRoutes(cached: (name: string) => boolean, lookups: string[]): RouteLookup {
  return {
    lookup(message, offset) {
      const name = nameText(message, offset);
      lookups.push(name);
      return { zone: name.endsWith('consul') ? 'consul' : '', cache: cached(name), group: {} as UpstreamGroup };
    },
  };
}

function setup(upstream: Handler, over: Partial<CacheConfig> = {}, cached = (_: string) => true, log: Logger = quietLogger()) {
  const clock = { t: 1_000_000 };
  const config = { ...defaultConfig().cache, ...over };
  const cache = new PacketCache({ size: config.size, maxBytes: config.maxBytes, staleMs: config.staleMaxAge * 1000 });
  const counters = new CacheCounters();
  const coalescing = new CoalesceCounters();
  const calls: string[] = [];
  const lookups: string[] = [];
  const routes = fakeRoutes(cached, lookups);
  const counted: Handler = (query) => (calls.push(query.question.name), upstream(query));
  const handler = compose(
    [
      cacheStage({ cache: () => cache, config: () => config, counters, log, now: () => clock.t }),
      coalesceStage(coalescing),
    ],
    counted,
  );
  const q = (bytes: Buffer, note?: AnswerNote): Query => {
    const p = parseQuery(bytes);
    if (p.kind !== 'query') throw new Error('bad test query');
    return new Query(bytes, p.question, 'udp', Date.now() + 4000, routes, note);
  };
  return { handler, q, clock, counters, coalescing, calls, lookups, cache };
}

const ttlOf = (b: Buffer) => (decode(b).answers?.[0] as { ttl: number } | undefined)?.ttl;
const dataOf = (b: Buffer) => (decode(b).answers?.[0] as { data: string } | undefined)?.data;

t.test('a second query is a hit with an aged TTL; the upstream saw one', async (t) => {
  const { handler, q, clock, counters, calls } = setup(async (x) => answer(x.bytes, ['10.0.0.1'], { ttl: 60 }));
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
  const { handler, q, calls } = setup(async (x) => answer(x.bytes, ['10.0.0.1'], { ttl: x.question.name === 'zero.example' ? 0 : 60 }), {}, (n) => !n.endsWith('consul'));
  for (let i = 0; i < 3; i++) await handler(q(query('web.service.consul')));
  for (let i = 0; i < 3; i++) await handler(q(query('zero.example')));
  t.equal(calls.filter((n) => n === 'web.service.consul').length, 3);
  t.equal(calls.filter((n) => n === 'zero.example').length, 3);
});

// Guards `q.uncacheable` in store: a reply a later stage marked (a CNAME chain through a route
// that does not cache) is passed on, not stored.
t.test('a reply marked uncacheable by a later stage is not stored', async (t) => {
  let mark = true;
  const { handler, q, calls } = setup(async (x) => {
    x.uncacheable = mark;
    return answer(x.bytes, ['10.0.0.1'], { ttl: 60 });
  });
  await handler(q(query('u.example', 'A', { id: 1 })));
  await handler(q(query('u.example', 'A', { id: 2 })));
  t.equal(calls.length, 2, 'marked: asked again');
  mark = false;
  await handler(q(query('u.example', 'A', { id: 3 })));
  await handler(q(query('u.example', 'A', { id: 4 })));
  t.equal(calls.length, 3, 'not marked: stored, then a hit');
});

t.test('serve-stale: when the upstream fails, the expired answer with TTL 30', async (t) => {
  let failing = false;
  const servfail = (x: Query) => {
    const r = answer(x.bytes, []);
    r[3] = (r[3]! & 0xf0) | 2;
    return r;
  };
  const { handler, q, clock, counters } = setup(async (x) => (failing ? servfail(x) : answer(x.bytes, ['10.0.0.1'], { ttl: 60 })));
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

// The query log's note: a hit says `cache`, a stale answer `stale`; a miss leaves it to the stage that answered.
t.test('a hit is noted as from the cache, a stale answer as stale', async (t) => {
  let failing = false;
  const { handler, q, clock } = setup(async (x) => (failing ? errorReply(x.bytes, 2, x.question) : answer(x.bytes, ['10.0.0.1'], { ttl: 60 })));
  const miss: AnswerNote = {};
  await handler(q(query('n.example'), miss));
  t.same(miss, {}, 'a miss: not the cache stage\'s to say');
  const hit: AnswerNote = {};
  await handler(q(query('n.example'), hit));
  t.same(hit, { from: 'cache' });
  clock.t += 120_000;
  failing = true;
  const stale: AnswerNote = {};
  await handler(q(query('n.example'), stale));
  t.same(stale, { from: 'stale' });
});

t.test('serve-stale off: SERVFAIL', async (t) => {
  let failing = false;
  const { handler, q, clock } = setup(async (x) => {
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
  let release = () => {};
  const { handler, q, clock } = setup(
    (x) =>
      slow
        ? new Promise((res) => (release = () => res(answer(x.bytes, ['10.0.0.2'], { ttl: 60 }))))
        : answer(x.bytes, ['10.0.0.1'], { ttl: 60 }),
    { staleAnswerTimeoutMs: 50 },
  );
  await handler(q(query('slow.example')));
  clock.t += 120_000;
  slow = true;
  const r = await handler(q(query('slow.example')));
  t.equal(dataOf(r), '10.0.0.1', 'the stale answer, before the upstream answered');
  release();
  await new Promise((res) => setImmediate(res)); // the late answer is stored in the promise chain
  const fresh = await handler(q(query('slow.example')));
  t.equal(dataOf(fresh), '10.0.0.2', 'the late upstream answer was stored');
});

t.test('prefetch: a hit with 10% of the TTL left refreshes the entry in the background', async (t) => {
  let n = 0;
  const { handler, q, clock, calls, counters } = setup(async (x) => answer(x.bytes, [`10.0.0.${++n}`], { ttl: 100 }));
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

t.test('prefetch: one refresh at a time, however many hits fall in the last 10% of the TTL', async (t) => {
  let n = 0;
  let release: () => void = () => {};
  const slow = new Promise<void>((resolve) => (release = resolve));
  const { handler, q, clock, calls, counters } = setup(async (x) => {
    if (++n > 1) await slow; // the refresh waits until the test releases it
    return answer(x.bytes, [`10.0.0.${n}`], { ttl: 100 });
  });
  await handler(q(query('p.example')));
  clock.t += 95_000;
  for (let i = 0; i < 3; i++) t.equal(dataOf(await handler(q(query('p.example')))), '10.0.0.1', `hit ${i + 1} from the cache`);
  t.equal(calls.length, 2, 'one refresh in flight, not one per hit');
  t.equal(counters.prefetches, 1);
  release();
  await new Promise((res) => setImmediate(res));
});

t.test('route lookups: a hit does none and is answered at once; a miss does one, shared by the stages', async (t) => {
  const { handler, q, lookups } = setup(async (x) => answer(x.bytes, [x.route.zone === '' ? '10.0.0.1' : '10.9.9.9'], { ttl: 60 }));
  const miss = handler(q(query('l.example')));
  t.ok(miss instanceof Promise, 'a miss is answered later');
  t.equal(dataOf(await miss), '10.0.0.1');
  t.same(lookups, ['l.example'], 'the cache stage looked the route up; the upstream stage used the same');
  const hit = handler(q(query('l.example')));
  t.ok(Buffer.isBuffer(hit), 'a hit is a Buffer, not a promise: it goes out without a trip through the event loop');
  t.same(lookups, ['l.example'], 'no lookup for a hit');
});

t.test('coalescing: N identical misses in flight share one upstream query, each with its own ID and case', async (t) => {
  const { handler, q, calls, coalescing } = setup((x) => new Promise((res) => setTimeout(res, 50, answer(x.bytes, ['10.0.0.9'], { ttl: 0 }))));
  const names = ['c.example', 'C.example', 'c.EXAMPLE', 'C.EXAMPLE', 'c.example'];
  const replies = await Promise.all(names.map((name, i) => handler(q(query(name, 'A', { id: 100 + i })))));
  t.equal(calls.length, 1, 'one upstream query');
  t.equal(coalescing.coalesced, 4);
  t.same(replies.map((r) => decode(r).id), [100, 101, 102, 103, 104]);
  t.same(replies.map((r) => decode(r).questions?.[0]?.name), names);
  t.same(replies.map(dataOf), Array(5).fill('10.0.0.9'));
  await handler(q(query('c.example')));
  t.equal(calls.length, 2, 'once answered (TTL 0, not cached), the next query goes upstream again');
});

t.test('coalescing keeps EDNS and non-EDNS clients apart', async (t) => {
  const { handler, q, calls } = setup((x) => new Promise((res) => setTimeout(res, 20, answer(x.bytes, ['10.0.0.9'], { ttl: 0 }))));
  await Promise.all([handler(q(query('e.example'))), handler(q(query('e.example', 'A', { edns: 1232 })))]);
  t.equal(calls.length, 2);
});

// Guards `cache === null`: with the cache off, every query goes on, nothing is counted.
t.test('cache off (size 0): every query goes to the next stage', async (t) => {
  const counters = new CacheCounters();
  let asked = 0;
  const config = { ...defaultConfig().cache, size: 0 };
  const handler = cacheStage({ cache: () => null, config: () => config, counters, log: quietLogger(), now: () => 0 })(
    (x) => (asked++, answer(x.bytes, ['10.0.0.1'], { ttl: 60 })),
  );
  const routes = fakeRoutes(() => true, []);
  for (let i = 0; i < 2; i++) {
    const bytes = query('off.example');
    const p = parseQuery(bytes);
    if (p.kind !== 'query') throw new Error('bad test query');
    t.equal(dataOf(await handler(new Query(bytes, p.question, 'udp', Date.now() + 4000, routes))), '10.0.0.1');
  }
  t.equal(asked, 2, 'both queries answered by the next stage');
  t.same([counters.hits, counters.misses], [0, 0], 'nothing counted');
});

// Guards the prefetch switch: `prefetch: false` never refreshes in the background.
t.test('prefetch off: a hit in the last 10% of the TTL does not refresh', async (t) => {
  const { handler, q, clock, calls, counters } = setup(async (x) => answer(x.bytes, ['10.0.0.1'], { ttl: 100 }), { prefetch: false });
  await handler(q(query('p.example')));
  clock.t += 95_000;
  t.equal(dataOf(await handler(q(query('p.example')))), '10.0.0.1', 'a hit');
  t.equal(calls.length, 1, 'no refresh went upstream'); // a refresh starts synchronously, within the hit
  t.equal(counters.prefetches, 0);
});

// Guards the `>` of the prefetch threshold: exactly 10% of the TTL left is late enough.
t.test('prefetch starts with exactly 10% of the TTL left', async (t) => {
  const { handler, q, clock, calls } = setup(async (x) => answer(x.bytes, ['10.0.0.1'], { ttl: 100 }));
  await handler(q(query('p.example')));
  clock.t += 89_999;
  await handler(q(query('p.example')));
  t.equal(calls.length, 1, 'not with more than 10% left');
  clock.t += 1;
  await handler(q(query('p.example')));
  t.equal(calls.length, 2, 'a refresh with exactly 10% left');
  await new Promise((res) => setImmediate(res));
});

// Guards `kind === 'servfail'` in maybePrefetch: a cached SERVFAIL is not refreshed in the background.
t.test('a cached SERVFAIL is never prefetched', async (t) => {
  const { handler, q, clock, calls, counters } = setup(async (x) => answer(x.bytes, [], { rcode: 2 }), { servfailTtl: 10 });
  t.equal(decode(await handler(q(query('sf.example')))).rcode, 'SERVFAIL');
  clock.t += 9_500;
  t.equal(decode(await handler(q(query('sf.example')))).rcode, 'SERVFAIL', 'the cached SERVFAIL, in its last 10%');
  t.equal(counters.hits, 1, 'a hit');
  t.equal(calls.length, 1, 'no refresh went upstream');
  t.equal(counters.prefetches, 0);
});

// Guards the prefetch's catch and the reset of `prefetching`: a failed refresh is logged, and the
// next hit may try again.
t.test('a refresh that fails is logged, and the next hit refreshes again', async (t) => {
  const log = captureLog();
  let n = 0;
  const { handler, q, clock, calls } = setup(
    async (x) => {
      if (++n > 1) throw new Error('upstream stage failed');
      return answer(x.bytes, ['10.0.0.1'], { ttl: 100 });
    },
    {},
    () => true,
    log.logger,
  );
  await handler(q(query('p.example')));
  clock.t += 95_000;
  t.equal(dataOf(await handler(q(query('p.example')))), '10.0.0.1', 'a hit');
  const failed = await log.next((l) => l.msg === 'prefetch failed');
  t.match(failed, { qname: 'p.example', err: /upstream stage failed/ });
  await new Promise((res) => setImmediate(res)); // the refresh's promise chain has finished
  const since = log.lines.length;
  t.equal(dataOf(await handler(q(query('p.example')))), '10.0.0.1', 'another hit');
  t.equal(calls.length, 3, 'a second refresh');
  await log.next((l) => l.msg === 'prefetch failed', since);
});

// Guards the catch in orStale: a next stage that rejects counts as failing, and the stale answer goes out.
t.test('serve-stale: a next stage that rejects gets the stale answer out', async (t) => {
  let failing = false;
  const { handler, q, clock, counters } = setup(async (x) => {
    if (failing) throw new Error('upstream stage failed');
    return answer(x.bytes, ['10.0.0.1'], { ttl: 60 });
  });
  await handler(q(query('r.example')));
  clock.t += 120_000;
  failing = true;
  const r = await handler(q(query('r.example')));
  t.equal(dataOf(r), '10.0.0.1', 'the stale answer');
  t.equal(ttlOf(r), 30);
  t.equal(counters.staleServed, 1);
});

// RFC 8767 §5: the stale answer is for an upstream that fails or is late, not one that answers.
t.test('serve-stale: an upstream that answers in time wins over the stale answer', async (t) => {
  let address = '10.0.0.1';
  const { handler, q, clock, counters } = setup(async (x) => answer(x.bytes, [address], { ttl: 60 }));
  await handler(q(query('s.example')));
  clock.t += 120_000;
  address = '10.0.0.2';
  const r = await handler(q(query('s.example')));
  t.equal(dataOf(r), '10.0.0.2', 'the fresh answer');
  t.equal(counters.staleServed, 0);
});

// Coalesced misses get one reply: the first stores it, the others answer from that entry.
t.test('coalesced misses store the shared reply once', async (t) => {
  const { handler, q, cache } = setup((x) => new Promise((res) => setTimeout(res, 20, answer(x.bytes, ['10.0.0.9'], { ttl: 60 }))));
  const stored: string[] = [];
  const store = cache.storeDraft.bind(cache);
  cache.storeDraft = (key, draft, zone) => (stored.push(key), store(key, draft, zone));
  const replies = await Promise.all([1, 2, 3].map((id) => handler(q(query('c.example', 'A', { id })))));
  t.same(replies.map((r) => decode(r).id), [1, 2, 3]);
  t.equal(stored.length, 1, 'stored once');
});

// Guards the hit path's key: a hit is found from the query's bytes, and the key string (made for
// a miss: coalescing, storing) is never made for it.
t.test('a hit never asks for the query\'s key string', async (t) => {
  const { handler, cache } = setup(async (x) => answer(x.bytes, ['10.0.0.1'], { ttl: 60 }));
  const routes = fakeRoutes(() => true, []);
  const bytes = query('web.service.consul');
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('bad test query');
  await handler(new Query(bytes, p.question, 'udp', Date.now() + 4000, routes));
  t.equal(cache.entries, 1, 'stored by the miss');
  class KeylessQuery extends Query {
    override get key(): string {
      throw new Error('the key string was made');
    }
  }
  const keyless = new KeylessQuery(query('WEB.service.consul'), p.question, 'udp', Date.now() + 4000, routes);
  const hit = handler(keyless);
  t.ok(Buffer.isBuffer(hit), 'answered at once from the cache');
  t.equal(ttlOf(hit as Buffer), 60);
  t.notOk(Object.values(keyless).includes(questionKey(bytes, p.question)), 'the query holds no key string after its hit');
});
