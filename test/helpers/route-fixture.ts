// What the status and explain tests share: a route table of real upstream groups over fake
// transports (a server that times out, one that answers), the origins buildTable would give them,
// and a source's view with one lease.
import { parseEndpoint, type Endpoint } from '../../src/address.js';
import { DnsfwdError } from '../../src/errors.js';
import type { RouteOrigin, RouteTable, RouteTarget } from '../../src/route/build.js';
import { SPECIAL_ZONES } from '../../src/route/special.js';
import { ZoneTable } from '../../src/route/zone-table.js';
import type { SourceView } from '../../src/sources/source.js';
import { UpstreamGroup, type Transports } from '../../src/upstream/group.js';
import { Upstream } from '../../src/upstream/health.js';
import { quietLogger } from './logger.js';
import { answer, query } from './packets.js';

export const ep = (s: string): Endpoint => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

/** 10.0.0.1 never answers; every other server answers with 10.0.0.5. */
const transports: Transports = {
  udp: async (ex) => {
    if (ex.server.host === '10.0.0.1') throw new DnsfwdError('UPSTREAM_TIMEOUT');
    return answer(ex.query, ['10.0.0.5']);
  },
  tcp: () => Promise.reject(new Error('no TCP in this test')),
};

export const clock = { t: 1_800_000_000_000 };
export const DOWN_MS = 30_000;

export function group(zone: string, servers: string[]): UpstreamGroup {
  const opts = { timeoutMs: 1500, downMs: DOWN_MS, ednsSize: 1232 };
  return new UpstreamGroup(zone, servers.map((s) => new Upstream(ep(s))), opts, transports, quietLogger(), () => clock.t);
}

export const LEASE_FILE = '/var/lib/dhcp/dhclient.eth0.leases';
export const LEASE_LINK = 'dhclient.eth0.leases/4/eth0';
export const EXPIRES = clock.t + 86_400_000;

/**
 * consul → 10.0.0.1, 10.0.0.2 (config); lab.test → 10.2.0.1 (a lease's domain); the default
 * route → 10.3.0.1 (the lease's servers); the special-use zones.
 */
export function fixture(): { table: RouteTable; origins: Map<string, RouteOrigin>; sources: SourceView[]; consul: UpstreamGroup } {
  const consul = group('consul', ['10.0.0.1', '10.0.0.2:8600']);
  const table = new ZoneTable<RouteTarget>([
    { zone: 'consul', cache: true, group: consul },
    { zone: 'lab.test', cache: true, group: group('lab.test', ['10.2.0.1']) },
    { zone: '', cache: true, group: group('', ['10.3.0.1']) },
    ...SPECIAL_ZONES.map((s) => ({ zone: s.zone, cache: false, group: s })),
  ]);
  const origins = new Map<string, RouteOrigin>([
    ['consul', { kind: 'config' }],
    ['lab.test', { kind: 'link', link: LEASE_LINK, file: LEASE_FILE }],
    ['', { kind: 'default', from: 'sources' }],
    ...SPECIAL_ZONES.map((s): [string, RouteOrigin] => [s.zone, { kind: 'special', answers: s.description }]),
  ]);
  const lease = { link: LEASE_LINK, file: LEASE_FILE, servers: [ep('10.3.0.1')], domains: ['lab.test'], expires: EXPIRES };
  const sources: SourceView[] = [
    { name: 'dhclient:/var/lib/dhcp/dhclient*.leases', kind: 'dhclient', path: '/var/lib/dhcp/dhclient*.leases', files: [LEASE_FILE], changedAt: clock.t - 5000, servers: [ep('10.3.0.1')], leases: [lease] },
    { name: 'networkd:/run/systemd/netif/leases/*', kind: 'networkd', path: '/run/systemd/netif/leases/*', files: [], changedAt: null, servers: [], leases: [] },
  ];
  return { table, origins, sources, consul };
}

/** One query through `g`: its first server times out (down at once), the second answers. */
export async function resolveOnce(g: UpstreamGroup, name = 'web.service.consul'): Promise<void> {
  const q = query(name);
  await g.resolve({ bytes: q, questionEnd: q.length, dnssecOk: false, deadline: clock.t + 5000 });
}
