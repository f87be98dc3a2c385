// `dnsfwd explain`: the route a name takes and why (the same zone table lookup as a query's), the
// servers in the order they would be tried, what dnsfwd answers itself, the cached answer looked at
// without effects, the live answer through the pipeline; bad input is one line; the human form.
import t from 'tap';
import { PacketCache } from '../../src/cache/packet-cache.js';
import { makeEntry } from '../../src/cache/entry.js';
import { clientQuery, explainQuery, formatExplain, type ExplainParts, type ExplainReport } from '../../src/control/explain.js';
import type { Handler } from '../../src/pipeline/handler.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { Query } from '../../src/pipeline/query.js';
import { parseQuery } from '../../src/wire/question.js';
import { answer } from '../helpers/packets.js';
import { clock, fixture, LEASE_FILE, resolveOnce } from '../helpers/route-fixture.js';

const POLICY = { minTtl: 0, maxTtl: 86400, negativeMaxTtl: 3600, servfailTtl: 5 };

function parts(over: Partial<ExplainParts> = {}, handler?: Handler): ExplainParts & { consul: ReturnType<typeof fixture>["consul"] } {
  const f = fixture();
  const cache = new PacketCache({ size: 100, maxBytes: 1 << 20, staleMs: 60_000 });
  const last: Handler = handler ?? (() => Promise.reject(new Error('no live query in this test')));
  return {
    ...f,
    now: () => clock.t,
    peek: (key, now) => cache.peek(key, now),
    pipeline: new Pipeline(last, () => f.table),
    deadlineMs: 5000,
    ...over,
  };
}

/** The cache key a client's query for `name` A has (RD, no DO): what explain looks up. */
function keyOf(name: string): string {
  const bytes = clientQuery(name, 1);
  const p = parseQuery(bytes);
  if (p.kind !== 'query') throw new Error('not a query');
  return new Query(bytes, p.question, 'udp', 0, { lookup: () => { throw new Error('unused'); } }).key;
}

t.test('the route of a name: the longest matching zone, its origin, its servers in the order they would be tried', async (t) => {
  const p = parts();
  await resolveOnce(p.consul);
  const r = await explainQuery('web.service.consul', 'A', false, p);
  t.equal(r.decision, 'forward');
  t.same(r.route, { zone: 'consul', origin: { kind: 'config' }, cache: true });
  t.same(r.servers.map((s) => `${s.server} ${s.state}`), ['10.0.0.2:8600 up', '10.0.0.1:53 down'], 'the down server last');
  t.equal(r.name, 'web.service.consul');
  t.equal(r.type, 'A');
  t.same(r.cached, { state: 'miss' });
  t.equal(r.live, null);
  t.equal(r.answer, null);

  const link = await explainQuery('db.lab.test', 'aaaa', false, p);
  t.equal(link.type, 'AAAA', 'a mnemonic in any case');
  t.same(link.route?.origin, { kind: 'link', link: 'dhclient.eth0.leases/4/eth0', file: LEASE_FILE, source: 'dhclient:/var/lib/dhcp/dhclient*.leases' });
  t.same(link.servers.map((s) => s.server), ['10.2.0.1:53']);

  const other = await explainQuery('notlab.test', 'TYPE65', false, p);
  t.equal(other.type, 'HTTPS', 'TYPE65 is HTTPS');
  t.same(other.route, { zone: '.', origin: { kind: 'default', from: 'sources', sources: ['dhclient:/var/lib/dhcp/dhclient*.leases'] }, cache: true }, 'a label match, not a string suffix');
  t.equal((await explainQuery('x', 'TYPE65400', false, p)).type, 'TYPE65400');
});

t.test('a special-use name is answered here: the answer itself', async (t) => {
  const p = parts();
  const local = await explainQuery('localhost', 'A', false, p);
  t.equal(local.decision, 'local');
  t.same(local.route?.origin, { kind: 'special', answers: '127.0.0.1, ::1 (RFC 6761 §6.3)' });
  t.same(local.servers, []);
  t.same(local.answer, { rcode: 'NOERROR', records: ['localhost. 10800 IN A 127.0.0.1'] });
  const invalid = await explainQuery('x.invalid', 'A', false, p);
  t.same(invalid.answer, { rcode: 'NXDOMAIN', records: [] });
  t.equal(invalid.route?.zone, 'invalid');
});

t.test('what dnsfwd refuses itself is said so, with why', async (t) => {
  const r = await explainQuery('example.com', 'AXFR', true, parts());
  t.equal(r.decision, 'refused');
  t.match(r.why, /AXFR/);
  t.same(r.answer, { rcode: 'REFUSED', records: [] });
  t.equal(r.route, null);
  t.equal(r.live, null, 'nothing asked');
});

t.test("a loop probe's name is refused, as the pipeline refuses it", async (t) => {
  const r = await explainQuery('dnsfwd-loop-probe-0123456789ab.consul', 'HINFO', false, parts());
  t.match(r, { decision: 'refused', why: /loop probe/, route: null, servers: [], answer: { rcode: 'REFUSED', records: [] } });
  t.equal((await explainQuery('dnsfwd-loop-probe-0123456789a.consul', 'A', false, parts())).decision, 'forward', 'a name only like one is routed');
});

t.test('bad TYPE or NAME: one clear line', async (t) => {
  await t.rejects(explainQuery('example.com', 'BOGUS', false, parts()), { message: /^explain: "BOGUS" is not a record type/ });
  await t.rejects(explainQuery('example.com', 'TYPE0', false, parts()), { message: /"TYPE0" is not a record type/ });
  await t.rejects(explainQuery('example.com', 'TYPE65536', false, parts()), { message: /"TYPE65536" is not a record type/ });
  const long = Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.');
  await t.rejects(explainQuery(long, 'A', false, parts()), { message: /longer than 255 bytes/ });
  for (const err of [/BOGUS/, /TYPE0/]) t.notMatch(err.source, /\n/);
});

t.test('the cached answer: TTL left, stale, negative; looked at without effects', async (t) => {
  const cache = new PacketCache({ size: 2, maxBytes: 1 << 20, staleMs: 60_000 });
  const p = parts({ peek: (key, now) => cache.peek(key, now) });
  const store = (name: string, at: number, ttl: number, rcode = 0) => {
    const q = clientQuery(name, 1);
    const e = makeEntry(answer(q, rcode === 0 ? ['10.0.0.5'] : [], { ttl, rcode }), q.length, 'consul', POLICY, at);
    if (typeof e === 'string') throw new Error(e);
    cache.store(keyOf(name), e);
  };
  store('web.service.consul', clock.t - 10_000, 60);
  const fresh = (await explainQuery('web.service.consul', 'A', false, p)).cached;
  t.same(fresh, {
    state: 'fresh',
    kind: 'positive',
    rcode: 'NOERROR',
    ttl: 50,
    storedAt: new Date(clock.t - 10_000).toISOString(),
    expiresAt: new Date(clock.t + 50_000).toISOString(),
    prefetching: false,
    ad: false,
  });
  store('old.service.consul', clock.t - 70_000, 60);
  const stale = (await explainQuery('old.service.consul', 'A', false, p)).cached;
  t.match(stale, { state: 'stale', ttl: 0, expiresAt: new Date(clock.t - 10_000).toISOString() });
  t.same((await explainQuery('web.service.consul', 'AAAA', false, p)).cached, { state: 'miss' }, 'another type is another key');
  // web was stored first and looked at since: a lookup would have made it the most recent, a peek does not.
  store('third.service.consul', clock.t, 60);
  t.same((await explainQuery('web.service.consul', 'A', false, p)).cached, { state: 'miss' }, 'the least recently used went: explain did not count as a use');
  t.equal((await explainQuery('old.service.consul', 'A', false, p)).cached.state, 'stale');
  t.same((await explainQuery('web.service.consul', 'A', false, parts({ peek: () => null }))).cached, { state: 'off' });
});

t.test('a negative answer in the cache', async (t) => {
  const cache = new PacketCache({ size: 10, maxBytes: 1 << 20, staleMs: 0 });
  const q = clientQuery('gone.service.consul', 1);
  const soa = answer(q, [], { rcode: 3 });
  // An NXDOMAIN with an SOA so it may be cached: dns-packet builds it.
  const dnsPacket = (await import('dns-packet')).default;
  const decoded = dnsPacket.decode(soa);
  const nx = dnsPacket.encode({
    ...decoded,
    type: 'response',
    authorities: [{ type: 'SOA', name: 'consul', ttl: 30, class: 'IN', data: { mname: 'ns.consul', rname: 'h.consul', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 30 } }],
  } as never);
  nx[3] = (nx[3]! & 0xf0) | 3;
  const e = makeEntry(nx, q.length, 'consul', POLICY, clock.t);
  if (typeof e === 'string') throw new Error(e);
  cache.store(keyOf('gone.service.consul'), e);
  const r = await explainQuery('gone.service.consul', 'A', false, parts({ peek: (k, n) => cache.peek(k, n) }));
  t.match(r.cached, { state: 'fresh', kind: 'negative', rcode: 'NXDOMAIN', ttl: 30 });
  t.match(formatExplain(r), /cache: negative NXDOMAIN, TTL 30 s left/);
});

t.test('--query: the answer through the pipeline, the server that gave it, the time it took', async (t) => {
  const handler: Handler = (q) => {
    t.equal(q.route.zone, 'consul', 'the pipeline routes it as a client query');
    if (q.note) {
      q.note.route = 'consul';
      q.note.from = '10.0.0.2:8600';
    }
    return answer(q.bytes, ['10.0.0.5'], { ttl: 0 });
  };
  const r = await explainQuery('web.service.consul', 'A', true, parts({}, handler));
  t.match(r.live, { rcode: 'NOERROR', records: ['web.service.consul. 0 IN A 10.0.0.5'], from: '10.0.0.2:8600', route: 'consul' });
  t.type(r.live?.ms, 'number');
  const text = formatExplain(r);
  t.match(text, /live query: NOERROR in [\d.]+ ms from 10\.0\.0\.2:8600 \(route consul\)\n +web\.service\.consul\. 0 IN A 10\.0\.0\.5/);

  const failing = await explainQuery('web.service.consul', 'A', true, parts({ deadlineMs: 50 }, () => new Promise<Buffer>(() => undefined)));
  t.match(failing.live, { rcode: 'SERVFAIL', records: [], from: null }, 'the deadline passed: SERVFAIL, as a client gets');
});

t.test('the human form holds the key facts', async (t) => {
  const p = parts();
  await resolveOnce(p.consul);
  const r = JSON.parse(JSON.stringify(await explainQuery('web.service.consul', 'A', false, p))) as ExplainReport;
  const text = formatExplain(r);
  t.match(text, /^web\.service\.consul A\n/);
  t.match(text, /route: consul — config \(routes\)\n/);
  t.match(text, /servers, in the order they would be tried now:\n +SERVER.*\n +10\.0\.0\.2:8600 +up.*\n +10\.0\.0\.1:53 +down until/);
  t.match(text, /cache: not cached/);
  t.match(formatExplain(await explainQuery('localhost', 'A', false, p)), /answered here: NOERROR\n +localhost\. 10800 IN A 127\.0\.0\.1/);
  t.match(formatExplain(await explainQuery('db.lab.test', 'A', false, p)), /route: lab\.test — link domain, lease \/var\/lib\/dhcp\/dhclient\.eth0\.leases \(4\/eth0\)\n/);
  t.match(formatExplain(await explainQuery('x', 'AXFR', false, p)), /refused: AXFR/);
  t.equal(r.pid, process.pid, 'the process whose cache and server states these are');
  t.match(formatExplain({ ...r, servers: [] }), /\n  no servers: answered SERVFAIL\n/);
  t.match(formatExplain({ ...r, cached: { state: 'off' } }), /cache: off \(cache size 0\)/);
  const stale = { state: 'stale', kind: 'positive', rcode: 'NOERROR', ttl: 0, storedAt: new Date(Date.now() - 70_000).toISOString(), expiresAt: new Date(Date.now() - 10_000).toISOString(), prefetching: false } as const;
  t.match(formatExplain({ ...r, cached: stale }), /cache: stale NOERROR: expired \d\d:\d\d:\d\d \(10 s ago\), served only if the servers fail/);
  t.match(formatExplain({ ...r, cached: { ...stale, state: 'fresh', ttl: 9, prefetching: true } }), /cache: NOERROR, TTL 9 s left \(stored .*\), being refreshed/);
});
