// The routes in force: the zone table, built whole from the config and what the sources say now
// and swapped in on every change, and what an operator is told about each change: servers left
// out because they are dnsfwd itself, the default route's servers, the link domains' routes (the
// built-in routes of the special-use names are not listed: `dnsfwd check` names them).
import { formatEndpoint, type Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import type { SourceState } from '../sources/source.js';
import type { Upstreams } from '../upstream/setup.js';
import { buildTable, type DroppedServer, type RouteOrigin, type RouteTable } from './build.js';
import type { RoutingConfig } from './config.js';
import { SpecialZone } from './special.js';

const NO_SOURCES: SourceState = { servers: [], links: [] };

export class Routes {
  private current: RouteTable;
  private currentOrigins: ReadonlyMap<string, RouteOrigin> = new Map();
  private defaultServers = '';
  private droppedKey = '';
  private linkRoutes: Readonly<Record<string, string[]>> = {};

  constructor(
    config: RoutingConfig,
    private readonly upstreams: Upstreams,
    private readonly log: Logger,
  ) {
    this.current = this.build(config, NO_SOURCES);
  }

  get table(): RouteTable {
    return this.current;
  }

  /** Why each route of `table` is there, by zone ('' for the default route): swapped in with the table. */
  get origins(): ReadonlyMap<string, RouteOrigin> {
    return this.currentOrigins;
  }

  /** Builds the table for `config` and `sources`, swaps it in, and returns the one it replaced. */
  rebuild(config: RoutingConfig, sources: SourceState): RouteTable {
    const before = this.current;
    this.current = this.build(config, sources);
    return before;
  }

  /** Each forwarding route's zone ('.' for the default route) and its servers, for logs; not the built-in ones. */
  describe(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const { zone, group } of this.current.routes()) {
      if (!(group instanceof SpecialZone)) out[zone || '.'] = group.upstreams.map((u) => u.label);
    }
    return out;
  }

  private build(config: RoutingConfig, sources: SourceState): RouteTable {
    const built = buildTable(config, sources, (zone, servers, tcpOnly) => this.upstreams.group(zone, servers, config.upstream, tcpOnly));
    // Sockets of servers no route uses any more, and health of pairs gone, are let go; new pairs are probed for loops.
    this.upstreams.retain(built.inUse);
    this.upstreams.routesChanged(Array.from(built.table.routes()).flatMap(({ group }) => (group instanceof SpecialZone ? [] : [group])));
    this.reportDropped(built.dropped);
    this.reportDefault(built.defaultServers);
    this.reportLinks(built.linkRoutes);
    this.currentOrigins = built.origins;
    return built.table;
  }

  private reportDropped(dropped: readonly DroppedServer[]): void {
    const key = JSON.stringify(dropped);
    if (key === this.droppedKey) return;
    this.droppedKey = key;
    for (const d of dropped) this.log.warn(d, 'not forwarding to this server: it is dnsfwd itself');
  }

  private reportDefault(servers: readonly Endpoint[]): void {
    const now = servers.map(formatEndpoint).join(' ');
    if (now === this.defaultServers) return;
    const old = this.defaultServers;
    this.defaultServers = now;
    this.log.info({ zone: '.', old: old ? old.split(' ') : [], new: now ? now.split(' ') : [] }, 'default route servers changed');
  }

  private reportLinks(routes: Readonly<Record<string, string[]>>): void {
    if (JSON.stringify(routes) === JSON.stringify(this.linkRoutes)) return;
    this.log.info({ old: this.linkRoutes, new: routes }, 'link domain routes changed');
    this.linkRoutes = routes;
  }
}
