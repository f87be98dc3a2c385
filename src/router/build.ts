// Builds the immutable zone table from the config and the servers the sources currently give,
// dropping any server that is dnsfwd itself (a forwarding loop).
import { formatEndpoint, isLoopbackHost, sameEndpoint, uniqueEndpoints, type Endpoint } from '../address.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { UpstreamGroup, type Transports } from '../upstream/group.js';
import type { UpstreamRegistry } from '../upstream/upstream.js';
import { ZoneTable, type Route } from './zone-table.js';

const UNSPECIFIED = new Set(['0.0.0.0', '::']);

/**
 * Why `server` is dnsfwd itself, or null: it is one of our listen addresses, or a loopback
 * address on a port we listen on at loopback (or on every address).
 */
export function selfReason(server: Endpoint, listen: readonly Endpoint[]): string | null {
  if (listen.some((l) => sameEndpoint(l, server))) return 'it is one of our listen addresses';
  const loopbackPort = listen.some(
    (l) => l.port === server.port && (isLoopbackHost(l.host) || UNSPECIFIED.has(l.host)),
  );
  if (loopbackPort && isLoopbackHost(server.host)) {
    return `a loopback address on port ${server.port}, where dnsfwd itself listens`;
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
}

export interface TableDeps {
  readonly registry: UpstreamRegistry;
  readonly transports: Transports;
  readonly log: Logger;
  readonly now?: () => number;
}

/** The table for `config`, with the default route served by `sourceServers` (or the static ones). */
export function buildTable(config: Config, sourceServers: readonly Endpoint[], deps: TableDeps): BuiltTable {
  const dropped: DroppedServer[] = [];
  const keep = (zone: string, servers: readonly Endpoint[]) =>
    uniqueEndpoints(servers).filter((s) => {
      const reason = selfReason(s, config.listen);
      if (reason) dropped.push({ zone: zone || '.', server: formatEndpoint(s), reason });
      return reason === null;
    });
  let defaultServers = keep('', sourceServers);
  if (defaultServers.length === 0) defaultServers = keep('', config.default.servers);
  const specs = [
    ...config.routes.map((r) => ({ zone: r.zone, servers: keep(r.zone, r.servers), cache: r.cache })),
    { zone: '', servers: defaultServers, cache: config.default.cache },
  ];
  const opts = { timeoutMs: config.upstream.timeoutMs, downMs: config.upstream.downMs, ednsSize: config.upstream.ednsSize };
  const routes: Route<UpstreamGroup>[] = specs.map(({ zone, servers, cache }) => ({
    zone,
    cache,
    group: new UpstreamGroup(zone, servers.map((s) => deps.registry.get(s)), opts, deps.transports, deps.log, deps.now),
  }));
  deps.registry.retain(specs.flatMap((s) => s.servers));
  return { table: new ZoneTable(routes), defaultServers, dropped };
}
