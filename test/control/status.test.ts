// `dnsfwd status`: the report collected from the daemon's objects (routes with their servers in
// the order they are tried, state, RTT and counts; where each route comes from; the sources and
// their leases; the cache) and its human form, alone and per worker of a cluster.
import t from 'tap';
import { collectStatus, formatStatus, type StatusParts, type StatusReport } from '../../src/control/status.js';
import { clock, DOWN_MS, EXPIRES, fixture, LEASE_FILE, resolveOnce, ep } from '../helpers/route-fixture.js';

function parts(over: Partial<StatusParts> = {}): StatusParts {
  const f = fixture();
  return {
    now: clock.t,
    startedAt: clock.t - 3_725_000,
    version: '9.8.7',
    listeners: [ep('127.0.78.1:53'), ep('[::1]:5353')],
    table: f.table,
    origins: f.origins,
    sources: f.sources,
    cache: { entries: 3, bytes: 2048, hits: 3, misses: 1, stale: 2, prefetches: 1 },
    coalesced: 4,
    memory: { rss: 50 << 20, heapUsed: 10 << 20, heapTotal: 20 << 20, external: 0, arrayBuffers: 0 },
    ...over,
  };
}

t.test('each route with its servers in the order they are tried, their state and counts', async (t) => {
  const f = fixture();
  await resolveOnce(f.consul);
  const r = collectStatus(parts({ table: f.table, origins: f.origins, sources: f.sources }));
  t.same(r.routes.map((x) => x.zone), ['consul', 'lab.test', '.'], 'forwarding routes in table order; special zones apart');
  const consul = r.routes[0]!;
  t.same(consul.origin, { kind: 'config' });
  t.same(consul.servers.map((s) => s.server), ['10.0.0.2:8600', '10.0.0.1:53'], 'the server that timed out goes last');
  const [up, down] = consul.servers;
  t.equal(up!.state, 'up');
  t.equal(up!.answers, 1);
  t.equal(up!.requests, 1);
  t.type(up!.srttMs, 'number');
  t.same(up!.failures, { timeout: 0, refused: 0, servfail: 0, unreachable: 0, other: 0 });
  t.equal(down!.state, 'down');
  t.equal(down!.downUntil, new Date(clock.t + DOWN_MS).toISOString());
  t.equal(down!.failures.timeout, 1);
  t.equal(down!.answers, 0);
  t.equal(down!.srttMs, null, 'no reply, no RTT');
});

t.test('where each route comes from: config, a lease (its file and source), the sources of the default route', async (t) => {
  const r = collectStatus(parts());
  t.same(r.routes[1]!.origin, { kind: 'link', link: 'dhclient.eth0.leases/4/eth0', file: LEASE_FILE, source: 'dhclient:/var/lib/dhcp/dhclient*.leases' });
  t.same(r.routes[2]!.origin, { kind: 'default', from: 'sources', sources: ['dhclient:/var/lib/dhcp/dhclient*.leases'] }, 'only the sources that give servers');
  t.same(r.special.map((s) => s.zone), ['localhost', 'local', 'invalid']);
  t.match(r.special[0]!.answers, /127\.0\.0\.1/);
});

t.test('sources, listeners, cache, process', async (t) => {
  const r = collectStatus(parts());
  t.same(r.sources[0], {
    name: 'dhclient:/var/lib/dhcp/dhclient*.leases',
    kind: 'dhclient',
    path: '/var/lib/dhcp/dhclient*.leases',
    files: [LEASE_FILE],
    changedAt: new Date(clock.t - 5000).toISOString(),
    servers: ['10.3.0.1:53'],
    domains: ['lab.test'],
    leases: [{ link: 'dhclient.eth0.leases/4/eth0', file: LEASE_FILE, servers: ['10.3.0.1:53'], domains: ['lab.test'], expires: new Date(EXPIRES).toISOString() }],
  });
  t.same(r.sources[1]!.changedAt, null);
  t.same(r.listeners, [{ address: '127.0.78.1:53', transports: ['udp', 'tcp'] }, { address: '[::1]:5353', transports: ['udp', 'tcp'] }]);
  t.same(r.cache, { entries: 3, bytes: 2048, hits: 3, misses: 1, stale: 2, prefetches: 1, hitRatio: 0.75, coalesced: 4 });
  t.equal(collectStatus(parts({ cache: { entries: 0, bytes: 0, hits: 0, misses: 0, stale: 0, prefetches: 0 } })).cache.hitRatio, null, 'no lookups: no ratio');
  t.equal(r.version, '9.8.7');
  t.equal(r.node, process.version);
  t.equal(r.pid, process.pid);
  t.equal(r.uptimeS, 3725);
  t.equal(r.startedAt, new Date(clock.t - 3_725_000).toISOString());
  t.same(r.memory, { rss: 50 << 20, heapUsed: 10 << 20, heapTotal: 20 << 20 });
  t.same(JSON.parse(JSON.stringify(r)), r, 'plain JSON');
});

t.test('the human form holds the key facts', async (t) => {
  const f = fixture();
  await resolveOnce(f.consul);
  const text = formatStatus(JSON.parse(JSON.stringify(collectStatus(parts({ table: f.table })))));
  t.match(text, /dnsfwd 9\.8\.7 \(node v[\d.]+\), pid \d+, up 1 h 2 min/);
  t.match(text, /127\.0\.78\.1:53 \(udp, tcp\)/);
  t.match(text, /consul +config \(routes\)/);
  t.match(text, /10\.0\.0\.2:8600 +up +[\d.]+ ms +1 +1 +-\n/, 'the answering server first, with its RTT and counts');
  t.match(text, /10\.0\.0\.1:53 +down until \d\d:\d\d:\d\d \(in 30 s\) +- +1 +0 +timeout 1/);
  t.match(text, /lab\.test +link domain, lease \/var\/lib\/dhcp\/dhclient\.eth0\.leases \(4\/eth0\)/);
  t.match(text, /\. +default route, servers from dhclient:\/var\/lib\/dhcp\/dhclient\*\.leases/);
  t.match(text, /answered here: localhost: 127\.0\.0\.1, ::1/);
  t.match(text, /lease +dhclient\.eth0\.leases\/4\/eth0: 10\.3\.0\.1:53; expires .*\(in 1 d\)/);
  t.match(text, /changed +\d\d:\d\d:\d\d \(5 s ago\)/);
  t.match(text, /networkd:\/run\/systemd\/netif\/leases\/\* +\(no file read\)/);
  t.match(text, /Cache: 3 entries, 2\.0 KiB; hit ratio 75\.0% \(3 hits, 1 misses\); 2 stale answers served, 1 prefetches, 4 coalesced/);
  t.match(text, /memory: rss 50\.0 MiB, heap 10\.0 MiB used of 20\.0 MiB/);
});

t.test('no sources configured: said so', async (t) => {
  t.match(formatStatus(JSON.parse(JSON.stringify(collectStatus(parts({ sources: [] }))))), /\nSources:\n  none\n\nCache:/);
  t.notMatch(formatStatus(JSON.parse(JSON.stringify(collectStatus(parts())))), /Sources:\n  none/);
});

t.test("a cluster's report: each worker's under a heading", async (t) => {
  const one = JSON.parse(JSON.stringify(collectStatus(parts()))) as StatusReport;
  const text = formatStatus({ workers: [{ ...one, pid: 11 }, { ...one, pid: 12, cache: { ...one.cache, entries: 99 } }, { pid: 13, error: 'no reply' }] });
  const [first, second] = text.split('== worker 12 ==');
  t.match(first, /^== worker 11 ==\n/);
  t.match(first, /Cache: 3 entries/);
  t.match(second, /Cache: 99 entries/);
  t.match(second, /\n\n== worker 13 ==\nerror: no reply$/, "a worker that did not answer: its error");
});
