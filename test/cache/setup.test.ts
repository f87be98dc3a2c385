// AnswerCache: the LRU in force across reloads (kept when the section is unchanged, replaced when it
// changes, none at size 0), and which cached answers go when the routes' servers change.
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { AnswerCache } from '../../src/cache/setup.js';
import type { CacheConfig } from '../../src/cache/config.js';
import { defaultConfig } from '../../src/config/schema.js';
import type { Handler } from '../../src/pipeline/handler.js';
import { Query } from '../../src/pipeline/query.js';
import type { RouteTable, RouteTarget } from '../../src/route/build.js';
import { SPECIAL_ZONES } from '../../src/route/special.js';
import { ZoneTable } from '../../src/route/zone-table.js';
import { UpstreamGroup, type Transports } from '../../src/upstream/group.js';
import { Upstream } from '../../src/upstream/health.js';
import { parseQuery } from '../../src/wire/question.js';
import { captureLog, quietLogger } from '../helpers/logger.js';
import { answer, decode, query } from '../helpers/packets.js';

const noTransports: Transports = {
  udp: () => Promise.reject(new Error('no upstream in this test')),
  tcp: () => Promise.reject(new Error('no upstream in this test')),
};

/** A route table: zone → servers (the root zone '' must be there), and the given built-in zones. */
function routes(spec: Record<string, string[]>, builtIn: string[] = []): RouteTable {
  const special = SPECIAL_ZONES.filter((s) => builtIn.includes(s.zone)).map((s) => ({ zone: s.zone, cache: false, group: s }));
  return new ZoneTable<RouteTarget>([
    ...special,
    ...Object.entries(spec).map(([zone, servers]) => {
      const ups = servers.map((s) => {
        const r = parseEndpoint(s);
        if (!r.ok) throw new Error(r.reason);
        return new Upstream(r.value);
      });
      const opts = { timeoutMs: 1000, downMs: 1000, ednsSize: 1232 };
      return { zone, cache: true, group: new UpstreamGroup(zone, ups, opts, noTransports, quietLogger()) };
    }),
  ]);
}

const config = (over: Partial<CacheConfig> = {}): CacheConfig => ({ ...defaultConfig().cache, ...over });

/** The cache's stage in front of an upstream stand-in that answers 10.0.0.<n> with TTL 60. */
function pipeline(cache: AnswerCache, table: RouteTable) {
  const asked: string[] = [];
  let failing = false;
  const next: Handler = async (x) => {
    asked.push(x.question.name);
    return failing ? answer(x.bytes, [], { rcode: 2 }) : answer(x.bytes, [`10.0.0.${asked.length}`], { ttl: 60 });
  };
  const handler = cache.stage()(next);
  const ask = async (name: string) => {
    const bytes = query(name);
    const p = parseQuery(bytes);
    if (p.kind !== 'query') throw new Error('bad test query');
    return decode(await handler(new Query(bytes, p.question, 'udp', Date.now() + 4000, table)));
  };
  return { ask, asked, fail: () => (failing = true) };
}

// Guards the comparison in configure(): an unchanged section keeps the cache, a changed one starts afresh.
t.test('a reload keeps the cache when the section is unchanged, and empties it when it changed', async (t) => {
  const table = routes({ '': ['10.0.0.53'] });
  const cache = new AnswerCache(config(), quietLogger());
  const p = pipeline(cache, table);
  await p.ask('a.example');
  cache.configure(config());
  await p.ask('a.example');
  t.same(p.asked, ['a.example'], 'the same section: a hit');
  cache.configure(config({ maxTtl: 3600 }));
  t.equal(cache.stats().entries, 0, 'a changed section: a new, empty cache');
  await p.ask('a.example');
  t.equal(p.asked.length, 2, 'so the next query is a miss');
});

// Guards `size === 0` in makeLru, `!this.lru` in routesChanged and the `?? 0` of stats().
t.test('size 0: no cache at all', async (t) => {
  const table = routes({ '': ['10.0.0.53'] });
  const cache = new AnswerCache(config({ size: 0 }), quietLogger());
  const p = pipeline(cache, table);
  await p.ask('a.example');
  await p.ask('a.example');
  t.equal(p.asked.length, 2, 'every query goes on');
  t.doesNotThrow(() => cache.routesChanged(table, routes({ '': ['10.0.0.54'] })), 'route changes need nothing done');
  t.match(cache.stats(), { entries: 0, bytes: 0 }, 'nothing held');
});

// Guards the `serveStale ? … : 0` of makeLru: without serve-stale, an expired answer is let go.
t.test('serve_stale false: an expired answer is not kept', async (t) => {
  const clock = { t: 1_000_000 };
  t.capture(Date, 'now', () => clock.t);
  const table = routes({ '': ['10.0.0.53'] });
  const cache = new AnswerCache(config({ serveStale: false }), quietLogger());
  const p = pipeline(cache, table);
  await p.ask('a.example');
  t.equal(cache.stats().entries, 1);
  clock.t += 61_000;
  p.fail();
  t.equal((await p.ask('a.example')).rcode, 'SERVFAIL', 'no stale answer');
  t.equal(cache.stats().entries, 0, 'the expired answer is gone');
});

t.test('route changes: which cached answers go', async (t) => {
  const log = captureLog('info');
  const before = routes({ '': ['10.0.0.53'], consul: ['127.0.0.1:8600'], 'vagrant.test': ['192.168.121.1'] });
  const fill = async () => {
    const cache = new AnswerCache(config(), log.logger);
    const p = pipeline(cache, before);
    for (const name of ['a.example', 'web.service.consul', 'node1.vagrant.test']) await p.ask(name);
    return cache;
  };

  // Guards the per-zone comparison: only the zone whose servers changed loses its answers.
  const oneZone = await fill();
  oneZone.routesChanged(before, routes({ '': ['10.0.0.53'], consul: ['127.0.0.1:8601'], 'vagrant.test': ['192.168.121.1'] }));
  t.equal(oneZone.stats().entries, 2, 'the consul answer went, the others stayed');
  t.match(log.lines.filter((l) => l.msg === 'route servers changed: cached answers dropped'), [{ zone: 'consul', entries: 1 }], 'and says so');

  // Guards `old.size !== next.size`: a zone removed may send its names elsewhere: all go.
  const removed = await fill();
  removed.routesChanged(before, routes({ '': ['10.0.0.53'], consul: ['127.0.0.1:8600'] }));
  t.equal(removed.stats().entries, 0, 'a zone removed: all answers went');

  // Guards the zone-name comparison: as many zones, but one of them another.
  const renamed = await fill();
  renamed.routesChanged(before, routes({ '': ['10.0.0.53'], consul: ['127.0.0.1:8600'], 'libvirt.test': ['192.168.121.1'] }));
  t.equal(renamed.stats().entries, 0, 'a zone replaced by another: all answers went');
  t.equal(log.lines.filter((l) => l.msg === 'zones changed: cached answers dropped').length, 2);

  // Guards `if (dropped)`: nothing cached, nothing to report.
  const empty = new AnswerCache(config(), log.logger);
  const since = log.lines.length;
  empty.routesChanged(before, routes({ '': ['10.0.0.54'], consul: ['127.0.0.1:8601'], 'vagrant.test': ['192.168.121.1'] }));
  empty.routesChanged(before, routes({ '': ['10.0.0.53'] }));
  t.same(log.lines.slice(since), [], 'no log line for an empty cache');
});

// Guards the built-in case of routeServers: a special zone's route depends on no server; a
// configured route taking its zone over is a change of that zone, and one giving it back too.
t.test('route changes: a configured route in place of a built-in one, and back', async (t) => {
  const log = captureLog('info');
  const builtIn = routes({ '': ['10.0.0.53'], 'lab.test': ['10.0.0.54'] }, ['localhost', 'local']);
  const routed = routes({ '': ['10.0.0.53'], 'lab.test': ['10.0.0.54'], local: ['10.0.0.55'] }, ['localhost']);
  const cache = new AnswerCache(config(), log.logger);
  const p = pipeline(cache, routed);
  for (const name of ['a.example', 'x.lab.test', 'printer.local']) await p.ask(name);
  cache.routesChanged(routed, routed);
  t.equal(cache.stats().entries, 3, 'nothing changed: nothing dropped');
  cache.routesChanged(routed, builtIn);
  t.equal(cache.stats().entries, 2, 'local is built in again: its answers went, the others stayed');
  t.match(log.lines.filter((l) => l.msg === 'route servers changed: cached answers dropped'), [{ zone: 'local', entries: 1 }]);
  cache.routesChanged(builtIn, builtIn);
  t.equal(cache.stats().entries, 2, 'built-in routes unchanged: nothing dropped');
});

t.test('flush: all answers, or those at or under a zone; how many, and a log line', async (t) => {
  const log = captureLog('info');
  const table = routes({ '': ['10.0.0.53'], consul: ['127.0.0.1:8600'] });
  const cache = new AnswerCache(config(), log.logger);
  const p = pipeline(cache, table);
  for (const name of ['a.example', 'web.service.consul', 'db.service.consul', 'consul.example']) await p.ask(name);
  t.equal(cache.flush('service.consul'), 2, 'the two names under service.consul');
  t.equal(cache.stats().entries, 2);
  await p.ask('web.service.consul');
  t.equal(p.asked.filter((n) => n === 'web.service.consul').length, 2, 'asked upstream again');
  t.equal(cache.flush(null), 3, 'null: everything');
  t.equal(cache.stats().entries, 0);
  t.match(log.lines.filter((l) => l.msg === 'cache flushed'), [{ zone: 'service.consul', entries: 2 }, { zone: null, entries: 3 }]);
  t.equal(new AnswerCache(config({ size: 0 }), quietLogger()).flush(null), 0, 'no cache: nothing to flush');
});
