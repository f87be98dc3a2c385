// Composition root: Config → sources → routes → pipeline → listeners. The only place that creates
// concrete objects; reload swaps in new pieces, shutdown drains and closes them.
import { formatEndpoint, uniqueEndpoints, type Endpoint } from './address.js';
import type { Config } from './config/types.js';
import { Listeners } from './listeners.js';
import type { Logger } from './log.js';
import { PacketCache } from './cache/packet-cache.js';
import { Counters } from './metrics.js';
import { cacheStage } from './pipeline/cache.js';
import { coalesceStage } from './pipeline/coalesce.js';
import { compose } from './pipeline/handler.js';
import { routeHandler } from './pipeline/route.js';
import { buildTable, type DroppedServer } from './router/build.js';
import type { ZoneTable } from './router/zone-table.js';
import { Responder } from './server/responder.js';
import { createSource, sameSources } from './sources/index.js';
import { SOURCE_CHANGE, type ServerSource } from './sources/source.js';
import type { Transports, UpstreamGroup } from './upstream/group.js';
import { tcpExchange } from './upstream/transport/tcp.js';
import { UdpPool } from './upstream/transport/udp-pool.js';
import { UpstreamRegistry } from './upstream/upstream.js';
import { HEADER_SIZE } from './wire/header.js';

export interface DaemonDeps {
  readonly log: Logger;
  readonly transports?: Transports;
  readonly createSource?: typeof createSource;
}

export class Daemon {
  private config: Config;
  private readonly log: Logger;
  private readonly registry = new UpstreamRegistry();
  private readonly udpPool = new UdpPool({ socketsPerServer: 8, queriesPerSocket: 100 });
  private readonly transports: Transports;
  private readonly makeSource: typeof createSource;
  private readonly responder: Responder;
  private readonly listeners: Listeners;
  private sources: ServerSource[] = [];
  private table!: ZoneTable<UpstreamGroup>;
  private cache: PacketCache | null;
  private readonly counters = new Counters();
  private defaultServers = '';
  private droppedKey = '';
  private linkRoutes: Readonly<Record<string, string[]>> = {};
  private closed = false;

  constructor(config: Config, deps: DaemonDeps) {
    this.config = config;
    this.log = deps.log;
    this.transports = deps.transports ?? { udp: this.udpPool.exchange, tcp: tcpExchange };
    this.makeSource = deps.createSource ?? createSource;
    this.cache = makeCache(config);
    const handler = compose(
      [
        cacheStage({
          cache: () => this.cache,
          config: () => this.config.cache,
          routeOf: (q) => this.table.lookupWire(q.bytes, HEADER_SIZE),
          deadlineMs: () => this.config.upstream.deadlineMs,
          counters: this.counters,
          log: this.log.child({ component: 'cache' }),
        }),
        coalesceStage(this.counters),
      ],
      routeHandler(() => this.table, this.log.child({ component: 'route' })),
    );
    this.responder = new Responder(handler, this.responderOptions(config), this.log.child({ component: 'server' }));
    this.listeners = new Listeners(this.responder, this.log.child({ component: 'listener' }));
    this.rebuild();
  }

  /** Binds every listen address (throws a DnsfwdError with an operator-facing message), starts sources. */
  async start(): Promise<void> {
    await this.listeners.apply(this.config.listen, this.tcpOptions(this.config));
    await this.startSources(this.createSources(this.config));
    this.log.info(
      {
        listen: this.listeners.endpoints().map(formatEndpoint),
        routes: this.describeRoutes(),
        sources: this.sources.map((s) => s.name),
      },
      'dnsfwd started',
    );
  }

  /**
   * Applies a new, already validated config, all or nothing: what can fail (creating the sources,
   * binding new listen addresses) happens before anything is swapped, and a failure keeps the old.
   */
  async reload(next: Config): Promise<void> {
    const prev = this.config;
    const fresh = sameSources(prev.default.sources, next.default.sources) ? null : this.createSources(next);
    try {
      await this.listeners.apply(next.listen, this.tcpOptions(next));
    } catch (err) {
      await Promise.all((fresh ?? []).map((src) => src.close()));
      throw err;
    }
    this.config = next;
    this.log.level = next.logLevel;
    this.responder.setOptions(this.responderOptions(next));
    if (JSON.stringify(prev.cache) !== JSON.stringify(next.cache)) this.cache = makeCache(next);
    if (fresh) {
      const old = this.sources;
      await this.startSources(fresh);
      await Promise.all(old.map((src) => src.close()));
    }
    this.rebuild();
    this.log.info({ file: next.file, routes: this.describeRoutes() }, 'configuration reloaded');
  }

  /** Stops listening, lets queries in flight finish (up to `graceMs`), then closes everything. */
  async shutdown(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.stopAccepting();
    await this.responder.drain(graceMs);
    await this.listeners.close();
    await this.closeSources();
    this.udpPool.close();
  }

  private createSources(config: Config): ServerSource[] {
    return config.default.sources.map((s) => this.makeSource(s, this.log.child({ component: 'source' })));
  }

  /** Makes `sources` the default route's, and starts them (resolves after their first read). */
  private async startSources(sources: ServerSource[]): Promise<void> {
    this.sources = sources;
    for (const s of sources) s.on(SOURCE_CHANGE, () => this.sources === sources && this.rebuild());
    await Promise.all(sources.map((s) => s.start()));
    this.rebuild();
  }

  private async closeSources(): Promise<void> {
    const old = this.sources;
    this.sources = [];
    await Promise.all(old.map((s) => s.close()));
  }

  /** Builds a fresh zone table from the config and the sources' current servers, and swaps it in. */
  private rebuild(): void {
    const servers = uniqueEndpoints(this.sources.flatMap((s) => s.servers()));
    const links = this.sources.flatMap((s) => s.leases());
    const built = buildTable(this.config, { servers, links }, {
      registry: this.registry,
      transports: this.transports,
      log: this.log.child({ component: 'upstream' }),
    });
    const previous = this.table as ZoneTable<UpstreamGroup> | undefined;
    this.table = built.table;
    // Health and upstream sockets of servers no route uses any more are let go.
    this.registry.retain(built.inUse);
    this.udpPool.retain(built.inUse);
    if (previous) this.flushChangedRoutes(previous, built.table);
    this.reportDropped(built.dropped);
    this.reportDefault(built.defaultServers);
    this.reportLinks(built.linkRoutes);
  }

  private reportLinks(routes: Readonly<Record<string, string[]>>): void {
    if (JSON.stringify(routes) === JSON.stringify(this.linkRoutes)) return;
    this.log.info({ old: this.linkRoutes, new: routes }, 'link domain routes changed');
    this.linkRoutes = routes;
  }

  /**
   * Drops cached answers learned through a route whose servers (or cache switch) changed, e.g. a
   * new lease; when zones were added or removed (a reload), names may have moved to another
   * route: drops all.
   */
  private flushChangedRoutes(before: ZoneTable<UpstreamGroup>, after: ZoneTable<UpstreamGroup>): void {
    if (!this.cache) return;
    const servers = (t: ZoneTable<UpstreamGroup>) =>
      new Map([...t.routes()].map((r) => [r.zone, `${r.cache} ${r.group.upstreams.map((u) => u.label).join(' ')}`]));
    const old = servers(before);
    const next = servers(after);
    if (old.size !== next.size || [...next.keys()].some((zone) => !old.has(zone))) {
      const dropped = this.cache.clear();
      if (dropped) this.log.info({ entries: dropped }, 'zones changed: cached answers dropped');
      return;
    }
    for (const [zone, now] of next) {
      if (old.get(zone) === now) continue;
      const dropped = this.cache.dropZone(zone);
      if (dropped) this.log.info({ zone: zone || '.', entries: dropped }, 'route servers changed: cached answers dropped');
    }
  }

  /** Logs cache and coalescing counters (SIGUSR1). */
  logStats(): void {
    const c = this.counters;
    this.log.info(
      {
        entries: this.cache?.entries ?? 0,
        bytes: this.cache?.bytes ?? 0,
        hits: c.hits,
        misses: c.misses,
        stale: c.staleServed,
        prefetches: c.prefetches,
        coalesced: c.coalesced,
        memory: process.memoryUsage(),
      },
      'cache statistics',
    );
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

  private describeRoutes(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const r of this.table.routes()) out[r.zone || '.'] = r.group.upstreams.map((u) => u.label);
    return out;
  }

  private responderOptions(c: Config) {
    return { deadlineMs: c.upstream.deadlineMs, udpMaxSize: c.server.udpMaxSize };
  }

  private tcpOptions(c: Config) {
    return { idleTimeoutMs: c.server.tcpIdleTimeoutMs, maxConnections: c.server.tcpMaxConnections };
  }
}

function makeCache(c: Config): PacketCache | null {
  const k = c.cache;
  if (k.size === 0) return null;
  return new PacketCache({ size: k.size, maxBytes: k.maxBytes, staleMs: k.serveStale ? k.staleMaxAge * 1000 : 0 });
}
