// buildTable: config routes, per-link domain routes (a lease's domains to its own servers), the
// default route from the sources, the built-in routes of the special-use names, and servers that
// are dnsfwd itself left out.
import { networkInterfaces } from 'node:os';
import t from 'tap';
import { formatEndpoint, parseEndpoint, type Endpoint } from '../../src/address.js';
import { applyOverrides, defaultConfig } from '../../src/config/load.js';
import { buildTable, type GroupMaker } from '../../src/route/build.js';
import { SpecialZone } from '../../src/route/special.js';
import type { LeaseServers } from '../../src/sources/lease-choice.js';
import { Upstreams } from '../../src/upstream/setup.js';
import { presentationToWire } from '../../src/wire/name.js';
import { quietLogger } from '../helpers/logger.js';

const ep = (s: string): Endpoint => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};
const config = (() => {
  const r = applyOverrides(defaultConfig(), { listen: ['127.0.0.1:53'], route: ['vagrant.test=192.168.121.1'], leaseFile: ['/x/y.leases'] });
  if (!r.ok) throw new Error(r.error.reason);
  return r.config;
})();
const lease = (servers: string[], domains: string[], link = 'l'): LeaseServers => ({ link, servers: servers.map(ep), domains });
const upstreams = new Upstreams(quietLogger(), config.upstream);
const deps: GroupMaker = (zone, servers) => upstreams.group(zone, servers, config.upstream);
const route = (table: ReturnType<typeof buildTable>['table'], name: string) => table.lookup(presentationToWire(name), 0);
/** The servers `name` goes to, or 'built in' when dnsfwd answers it itself (a special-use name). */
const servers = (table: ReturnType<typeof buildTable>['table'], name: string): string[] | 'built in' => {
  const { group } = route(table, name);
  return group instanceof SpecialZone ? 'built in' : group.upstreams.map((u) => u.label);
};

t.test("a lease's domains go to that lease's servers; everything else to the union", async (t) => {
  const links = [lease(['10.1.0.1', '10.1.0.2'], ['lab.test', 'Search.Lab.Test.']), lease(['10.2.0.1'], ['other.test'], 'm')];
  const built = buildTable(config, { servers: [ep('10.1.0.1'), ep('10.1.0.2'), ep('10.2.0.1')], links }, deps);
  t.same(servers(built.table, 'host.lab.test'), ['10.1.0.1:53', '10.1.0.2:53']);
  t.same(servers(built.table, 'x.search.lab.test'), ['10.1.0.1:53', '10.1.0.2:53'], 'search domains, normalised');
  t.same(servers(built.table, 'db.other.test'), ['10.2.0.1:53'], 'the second network at its own server');
  t.same(servers(built.table, 'example.com'), ['10.1.0.1:53', '10.1.0.2:53', '10.2.0.1:53']);
  t.same(built.linkRoutes, { 'lab.test': ['10.1.0.1:53', '10.1.0.2:53'], 'search.lab.test': ['10.1.0.1:53', '10.1.0.2:53'], 'other.test': ['10.2.0.1:53'] });
});

t.test('an explicit route wins; the first lease naming a domain wins; no route to ourselves or to bad names', async (t) => {
  const links = [
    lease(['10.1.0.1'], ['vagrant.test', 'shared.test']),
    lease(['10.2.0.1'], ['shared.test'], 'm'),
    lease(['127.0.0.1'], ['self.test'], 'n'),
    lease(['10.3.0.1'], ['not a domain', ''], 'o'),
  ];
  const built = buildTable(config, { servers: [ep('10.1.0.1')], links }, deps);
  t.same(servers(built.table, 'node1.vagrant.test'), ['192.168.121.1:53'], 'the configured route');
  t.same(servers(built.table, 'x.shared.test'), ['10.1.0.1:53']);
  t.equal(route(built.table, 'x.self.test').zone, '', 'servers that are dnsfwd itself: no route');
  t.match(built.dropped, [{ zone: 'self.test', server: '127.0.0.1:53' }]);
  t.same(Object.keys(built.linkRoutes), ['shared.test']);
});

// Guards the static fallback: with no server from the sources, the default route uses `default.servers`.
t.test('the static servers serve the default route when the sources give none, or only ourselves', async (t) => {
  const r = applyOverrides(defaultConfig(), { listen: ['127.0.0.1:53'], upstream: ['9.9.9.9'] });
  if (!r.ok) throw new Error(r.error.reason);
  const none = buildTable(r.config, { servers: [], links: [] }, deps);
  t.same(servers(none.table, 'example.com'), ['9.9.9.9:53'], 'no sources');
  t.same(none.defaultServers.map((s) => `${s.host}:${s.port}`), ['9.9.9.9:53']);
  const self = buildTable(r.config, { servers: [ep('127.0.0.1')], links: [] }, deps);
  t.same(servers(self.table, 'example.com'), ['9.9.9.9:53'], 'the sources name only dnsfwd itself');
  const leased = buildTable(r.config, { servers: [ep('10.1.0.1')], links: [] }, deps);
  t.same(servers(leased.table, 'example.com'), ['10.1.0.1:53'], 'the sources win when they give one');
});

// Guards the one-report-per-server check: a lease server that is dnsfwd itself is reported once.
t.test('a server that is dnsfwd itself is reported once, though it serves the default route and a link domain', async (t) => {
  const built = buildTable(config, { servers: [ep('127.0.0.1'), ep('10.1.0.1')], links: [lease(['127.0.0.1', '10.1.0.1'], ['lab.test'])] }, deps);
  t.same(built.dropped, [{ zone: '.', server: '127.0.0.1:53', reason: 'it is one of our listen addresses' }], 'one report, for the default route');
  t.same(servers(built.table, 'x.lab.test'), ['10.1.0.1:53']);
});

// Guards `link.domains ?? []`: a lease without domains only adds its servers.
t.test('a lease without domains adds no route', async (t) => {
  const built = buildTable(config, { servers: [ep('10.1.0.1')], links: [{ link: 'l', servers: [ep('10.1.0.1')] }] }, deps);
  t.same(built.linkRoutes, {});
  t.same(servers(built.table, 'example.com'), ['10.1.0.1:53']);
});

// Guards the wildcard check that reads this host's addresses: listening on 0.0.0.0:53, a lease
// naming one of this host's own addresses on 53 names dnsfwd itself.
t.test("listening on every address: this host's own address is dnsfwd itself", async (t) => {
  const own = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .find((i) => i.family === 'IPv4' && !i.internal)?.address;
  t.ok(own, 'this host has an IPv4 address besides loopback');
  if (!own) return;
  const r = applyOverrides(defaultConfig(), { listen: ['0.0.0.0:53'] });
  if (!r.ok) throw new Error(r.error.reason);
  const built = buildTable(r.config, { servers: [ep(own), ep('10.1.0.1')], links: [] }, deps);
  t.same(servers(built.table, 'example.com'), ['10.1.0.1:53']);
  t.match(built.dropped, [{ server: `${own}:53` }]);
});

// Guards the built-in routes: the special-use names are answered by dnsfwd, never by the default route.
t.test('localhost, local and invalid are built-in, uncached routes; the default route never gets them', async (t) => {
  const built = buildTable(config, { servers: [ep('10.1.0.1')], links: [] }, deps);
  for (const name of ['localhost', 'foo.LOCALHOST', 'local', 'printer.local', 'invalid', 'x.invalid']) {
    t.equal(servers(built.table, name), 'built in', name);
    t.equal(route(built.table, name).cache, false, `${name}: not cached`);
  }
  t.equal(route(built.table, 'a.b.localhost').zone, 'localhost');
  t.same(servers(built.table, 'notlocal'), ['10.1.0.1:53'], 'label by label');
  t.same(servers(built.table, 'localhost.example'), ['10.1.0.1:53']);
  t.same(built.inUse.map(formatEndpoint), ['127.0.0.1:8600', '192.168.121.1:53', '10.1.0.1:53'], 'no server for them: consul, vagrant.test, the default route');
});

// Guards the `configured` filter: a configured route for a special zone replaces the built-in one;
// one for a zone under it wins by the longer suffix.
t.test('a configured route for a special-use zone, or a zone under it, wins', async (t) => {
  const r = applyOverrides(defaultConfig(), { listen: ['127.0.0.1:53'], route: ['local=10.5.0.1', 'corp.invalid=10.6.0.1'] });
  if (!r.ok) throw new Error(r.error.reason);
  const built = buildTable(r.config, { servers: [ep('10.1.0.1')], links: [] }, deps);
  t.same(servers(built.table, 'printer.local'), ['10.5.0.1:53']);
  t.equal(route(built.table, 'printer.local').cache, true, 'cached as configured');
  t.same(servers(built.table, 'dc.corp.invalid'), ['10.6.0.1:53']);
  t.equal(servers(built.table, 'x.invalid'), 'built in', 'the rest of invalid stays built in');
  t.equal(servers(built.table, 'localhost'), 'built in');
  t.same([...built.table.routes()].map((x) => x.zone).sort(), ['', 'consul', 'corp.invalid', 'invalid', 'local', 'localhost'], 'one route per zone');
});

// Guards `isSpecial` in linkRoutes: a lease (network input) never routes a special-use name; only the config does.
t.test("a lease's domains never take a special-use name", async (t) => {
  const links = [lease(['10.1.0.1'], ['localhost', 'evil.localhost', 'local', 'corp.local', 'invalid', 'lab.test'])];
  const built = buildTable(config, { servers: [ep('10.1.0.1')], links }, deps);
  for (const name of ['localhost', 'x.evil.localhost', 'printer.local', 'dc.corp.local', 'x.invalid']) t.equal(servers(built.table, name), 'built in', name);
  t.same(Object.keys(built.linkRoutes), ['lab.test']);
});

t.test("each route's origin: the config, a lease's domain (its link and file), the default route's servers, a special-use zone", async (t) => {
  const links = [{ ...lease(['10.1.0.1'], ['lab.test'], 'f.leases/4/eth0'), file: '/x/f.leases' }];
  const built = buildTable(config, { servers: [ep('10.1.0.1')], links }, deps);
  t.same(built.origins.get('vagrant.test'), { kind: 'config' });
  t.same(built.origins.get('lab.test'), { kind: 'link', link: 'f.leases/4/eth0', file: '/x/f.leases' });
  t.same(built.origins.get(''), { kind: 'default', from: 'sources' });
  t.match(built.origins.get('localhost'), { kind: 'special', answers: /127\.0\.0\.1/ });
  t.same([...built.origins.keys()].sort(), [...built.table.routes()].map((r) => r.zone).sort(), 'one origin per route');
  const statics = applyOverrides(config, { upstream: ['10.9.0.1'] });
  if (!statics.ok) throw new Error(statics.error.reason);
  t.same(buildTable(statics.config, { servers: [], links: [] }, deps).origins.get(''), { kind: 'default', from: 'upstream' }, 'no source gives any: the static ones');
  t.same(buildTable(config, { servers: [], links: [] }, deps).origins.get(''), { kind: 'default', from: 'none' });
});
