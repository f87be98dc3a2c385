// Builds the immutable zone table from the config and the servers the sources currently give,
// dropping any server that is dnsfwd itself (a forwarding loop).
import { networkInterfaces } from 'node:os';
import { formatEndpoint, isLoopbackHost, sameDestination, unmappedHost, uniqueEndpoints, type Endpoint } from '../address.js';
import type { Config } from '../config/types.js';
import { parseZone } from '../config/values.js';
import type { LeaseServers } from '../sources/lease-choice.js';
import type { Logger } from '../log.js';
import { UpstreamGroup, type Transports } from '../upstream/group.js';
import type { UpstreamRegistry } from '../upstream/upstream.js';
import { ZoneTable, type Route } from './zone-table.js';

const UNSPECIFIED = new Set(['0.0.0.0', '::']);
const DNS_PORT = 53;

/**
 * Why `server` is dnsfwd itself, or null: it is one of our listen addresses (an IPv4-mapped
 * spelling included); or we listen on port 53 at loopback and it is a loopback address on port 53
 * (a lease naming 127.0.0.1 or 127.0.0.53); or we listen on every address of a port and it is an
 * address of this host (`localAddresses`) or loopback on that port.
 */
export function selfReason(server: Endpoint, listen: readonly Endpoint[], localAddresses: readonly string[] = []): string | null {
  if (listen.some((l) => sameDestination(l, server))) return 'it is one of our listen addresses';
  const host = unmappedHost(server.host);
  const loopback = isLoopbackHost(host);
  const on53 = server.port === DNS_PORT && listen.some((l) => l.port === DNS_PORT && isLoopbackHost(l.host));
  if (loopback && on53) return `a loopback address on port ${DNS_PORT}, where dnsfwd itself listens`;
  const wildcard = listen.some((l) => l.port === server.port && UNSPECIFIED.has(l.host));
  if (wildcard && (loopback || localAddresses.includes(host))) {
    return `an address of this host on port ${server.port}, where dnsfwd listens on every address`;
  }
  return null;
}

export interface DroppedServer {
  readonly zone: string;
  readonly server: string;
  readonly reason: string;
}

export interface BuiltTable {
  readonly table: ZoneTable<UpstreamGroup>;
  /** The default route's servers after filtering. */
  readonly defaultServers: readonly Endpoint[];
  readonly dropped: readonly DroppedServer[];
  /** The routes made from the links' domains, for logs: zone → servers. */
  readonly linkRoutes: Readonly<Record<string, string[]>>;
  /** Every server some route uses. */
  readonly inUse: readonly Endpoint[];
}

export interface TableDeps {
  readonly registry: UpstreamRegistry;
  readonly transports: Transports;
  readonly log: Logger;
  readonly now?: () => number;
  /** This host's addresses (for a listener on every address); default: os.networkInterfaces(). */
  readonly localAddresses?: () => string[];
}

function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => unmappedHost(i.address)));
}

/** What the sources currently say: the default route's servers, and each link's lease. */
export interface SourceState {
  readonly servers: readonly Endpoint[];
  /** Current leases; those naming domains route them to their own servers. */
  readonly links: readonly LeaseServers[];
}

/**
 * The table for `config`: its routes; a route per link domain (a lease's domain name and search
 * domains, to that lease's servers, unless the config routes that zone itself); and the default
 * route served by the sources' servers (or the static ones).
 */
export function buildTable(config: Config, from: SourceState, deps: TableDeps): BuiltTable {
  const dropped: DroppedServer[] = [];
  const wildcard = config.listen.some((l) => UNSPECIFIED.has(l.host));
  const local = wildcard ? (deps.localAddresses ?? hostAddresses)() : [];
  const keep = (zone: string, servers: readonly Endpoint[]) =>
    uniqueEndpoints(servers).filter((s) => {
      const reason = selfReason(s, config.listen, local);
      const server = formatEndpoint(s);
      // One report per server, though a lease's servers also serve its link's domains.
      if (reason && !dropped.some((d) => d.server === server)) dropped.push({ zone: zone || '.', server, reason });
      return reason === null;
    });
  let defaultServers = keep('', from.servers);
  if (defaultServers.length === 0) defaultServers = keep('', config.default.servers);
  const perLink = linkRoutes(config, from.links, keep);
  const specs = [
    ...config.routes.map((r) => ({ zone: r.zone, servers: keep(r.zone, r.servers), cache: r.cache })),
    ...perLink,
    { zone: '', servers: defaultServers, cache: config.default.cache },
  ];
  const opts = { timeoutMs: config.upstream.timeoutMs, downMs: config.upstream.downMs, ednsSize: config.upstream.ednsSize };
  const routes: Route<UpstreamGroup>[] = specs.map(({ zone, servers, cache }) => ({
    zone,
    cache,
    group: new UpstreamGroup(zone, servers.map((s) => deps.registry.get(s)), opts, deps.transports, deps.log, deps.now),
  }));
  const linkRoutesByZone = Object.fromEntries(perLink.map((r) => [r.zone, r.servers.map(formatEndpoint)]));
  const inUse = uniqueEndpoints(specs.flatMap((s) => s.servers));
  return { table: new ZoneTable(routes), defaultServers, dropped, linkRoutes: linkRoutesByZone, inUse };
}

/**
 * Per-link domains (like systemd-resolved's): each domain of a current lease goes to that lease's
 * servers. The config's own routes win; the first lease naming a domain wins; a domain whose
 * servers are all dnsfwd itself gets no route (it stays with the default route).
 */
function linkRoutes(
  config: Config,
  links: readonly LeaseServers[],
  keep: (zone: string, servers: readonly Endpoint[]) => Endpoint[],
): { zone: string; servers: Endpoint[]; cache: boolean }[] {
  const taken = new Set(config.routes.map((r) => r.zone));
  const out: { zone: string; servers: Endpoint[]; cache: boolean }[] = [];
  for (const link of links) {
    for (const domain of link.domains ?? []) {
      const zone = parseZone(domain);
      if (!zone.ok || taken.has(zone.value)) continue;
      taken.add(zone.value);
      const servers = keep(zone.value, link.servers);
      if (servers.length > 0) out.push({ zone: zone.value, servers, cache: config.default.cache });
    }
  }
  return out;
}
