// Builds the immutable zone table from the config and what the sources say now: the configured
// routes, a route per link domain, the default route, and the built-in routes of the special-use
// names (special.ts) the config does not route; a server that is dnsfwd itself (self.ts: one of
// its own sockets) is left out, and reported.
import { formatEndpoint, uniqueEndpoints, type Endpoint } from '../address.js';
import type { SourceState } from '../sources/source.js';
import type { UpstreamGroup } from '../upstream/group.js';
import { parseZone, type RoutingConfig } from './config.js';
import { hostInterfaces, needsHostInterfaces, selfReason } from './self.js';
import { builtInZones, isSpecial, type SpecialZone } from './special.js';
import { ZoneTable, type Route } from './zone-table.js';

/** Where a route leads: the upstream group that forwards its queries, or a zone dnsfwd answers itself. */
export type RouteTarget = UpstreamGroup | SpecialZone;
export type RouteTable = ZoneTable<RouteTarget>;

export interface DroppedServer {
  readonly zone: string;
  readonly server: string;
  readonly reason: string;
}

/**
 * Why a route is there, for the operator's views (`dnsfwd status`, `dnsfwd explain`): the config's
 * `routes`; a link's domain, from a lease (its file and link); the default route, served by the
 * sources' servers, the static `upstream` ones, or none; a built-in special-use zone.
 */
export type RouteOrigin =
  | { readonly kind: 'config' }
  | { readonly kind: 'link'; readonly link: string; readonly file?: string }
  | { readonly kind: 'default'; readonly from: 'sources' | 'upstream' | 'none' }
  | { readonly kind: 'special'; readonly answers: string };

export interface BuiltTable {
  readonly table: RouteTable;
  /** Each route's origin, by zone ('' for the default route). */
  readonly origins: ReadonlyMap<string, RouteOrigin>;
  /** The default route's servers after filtering. */
  readonly defaultServers: readonly Endpoint[];
  readonly dropped: readonly DroppedServer[];
  /** The routes made from the links' domains, for logs: zone → servers. */
  readonly linkRoutes: Readonly<Record<string, string[]>>;
  /** Every server some route uses. */
  readonly inUse: readonly Endpoint[];
}

/** Makes the group that sends a route's queries to its servers (over TCP only, if `tcpOnly`). */
export type GroupMaker = (zone: string, servers: readonly Endpoint[], tcpOnly: boolean) => UpstreamGroup;

interface RouteSpec {
  readonly zone: string;
  readonly servers: Endpoint[];
  readonly cache: boolean;
  readonly tcpOnly?: boolean;
  readonly dnssec: boolean;
  readonly origin: RouteOrigin;
}

/**
 * The table for `config`: its routes; a route per link domain (a lease's domain name and search
 * domains, to that lease's servers, unless the config routes that zone itself); the default route
 * served by the sources' servers (or the static ones); and a built-in, uncached route for each
 * special-use zone the config does not route itself (a configured zone under one wins anyway,
 * as the longer suffix).
 */
export function buildTable(config: RoutingConfig, from: SourceState, group: GroupMaker): BuiltTable {
  const dropped: DroppedServer[] = [];
  const host = needsHostInterfaces(config) ? hostInterfaces() : {};
  const keep = (zone: string, servers: readonly Endpoint[]) =>
    uniqueEndpoints(servers).filter((s) => {
      const reason = selfReason(s, config, host);
      const server = formatEndpoint(s);
      // One report per server, though a lease's servers also serve its link's domains.
      if (reason && !dropped.some((d) => d.server === server)) dropped.push({ zone: zone || '.', server, reason });
      return reason === null;
    });
  let defaultServers = keep('', from.servers);
  let defaultFrom: 'sources' | 'upstream' | 'none' = 'sources';
  if (defaultServers.length === 0) {
    defaultServers = keep('', config.default.servers);
    defaultFrom = defaultServers.length > 0 ? 'upstream' : 'none';
  }
  const perLink = linkRoutes(config, from, keep);
  const configured = (r: RoutingConfig['routes'][number]): RouteSpec => {
    return { zone: r.zone, servers: keep(r.zone, r.servers), cache: r.cache, tcpOnly: r.transport === 'tcp', dnssec: r.dnssec, origin: { kind: 'config' } };
  };
  const specs: RouteSpec[] = [
    ...config.routes.map(configured),
    ...perLink,
    { zone: '', servers: defaultServers, cache: config.default.cache, dnssec: true, origin: { kind: 'default', from: defaultFrom } },
  ];
  const builtIn: Route<SpecialZone>[] = builtInZones(config.routes).map((s) => ({ zone: s.zone, cache: false, group: s }));
  const forwarded = specs.map(({ zone, servers, cache, tcpOnly, dnssec }) => ({ zone, cache, dnssec, group: group(zone, servers, tcpOnly ?? false) }));
  const table = new ZoneTable<RouteTarget>([...forwarded, ...builtIn]);
  const linkRoutesByZone = Object.fromEntries(perLink.map((r) => [r.zone, r.servers.map(formatEndpoint)]));
  const inUse = uniqueEndpoints(specs.flatMap((s) => s.servers));
  const origins = new Map<string, RouteOrigin>([
    ...specs.map((s): [string, RouteOrigin] => [s.zone, s.origin]),
    ...builtIn.map((r): [string, RouteOrigin] => [r.zone, { kind: 'special', answers: r.group.description }]),
  ]);
  return { table, origins, defaultServers, dropped, linkRoutes: linkRoutesByZone, inUse };
}

/**
 * Per-link domains (like systemd-resolved's): each domain of a current lease goes to that lease's
 * servers. The config's own routes win; the first lease naming a domain wins; a domain whose
 * servers are all dnsfwd itself gets no route (it stays with the default route); a lease never
 * routes a special-use name (only the config does).
 */
function linkRoutes(config: RoutingConfig, from: SourceState, keep: (zone: string, servers: readonly Endpoint[]) => Endpoint[]): RouteSpec[] {
  const taken = new Set(config.routes.map((r) => r.zone));
  const out: RouteSpec[] = [];
  for (const link of from.links) {
    for (const domain of link.domains ?? []) {
      const zone = parseZone(domain);
      if (!zone.ok || taken.has(zone.value) || isSpecial(zone.value)) continue;
      taken.add(zone.value);
      const servers = keep(zone.value, link.servers);
      const origin: RouteOrigin = { kind: 'link', link: link.link, ...(link.file !== undefined ? { file: link.file } : {}) };
      if (servers.length > 0) out.push({ zone: zone.value, servers, cache: config.default.cache, dnssec: false, origin });
    }
  }
  return out;
}
