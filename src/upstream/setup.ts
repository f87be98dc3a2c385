// Turns the `upstream:` section into the upstream groups routes send to, and keeps what outlives a
// route table: one Upstream (EDNS), one set of UDP sockets and one spoofing record per server, for
// as long as some route uses the server; each server's health in each route, for as long as that
// route has it; the UDP and TCP transports.
import type { Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import type { UpstreamConfig } from './config.js';
import { EndpointMap } from './endpoint-map.js';
import { UpstreamGroup, type Transports } from './group.js';
import { Upstream } from './health.js';
import { LoopGuard, type ProbedGroup } from './loop-guard.js';
import { OwnSockets } from './own-sockets.js';
import { ServerHealth } from './route-health.js';
import { tcpTransport } from './transport/tcp.js';
import { SpoofGuard } from './spoof-guard.js';
import { UdpPool } from './transport/udp-pool.js';

export class Upstreams {
  private readonly servers = new EndpointMap((server) => new Upstream(server));
  /** Each (route, server) pair's health, by routeKey(). */
  private readonly health = new Map<string, ServerHealth>();
  private readonly healthOf = (zone: string, u: Upstream): ServerHealth => {
    const k = routeKey(zone, u.label);
    let h = this.health.get(k);
    if (!h) this.health.set(k, (h = new ServerHealth()));
    return h;
  };
  /** The local addresses of our upstream sockets: a query from one of them is dnsfwd's own, come back. */
  readonly own = new OwnSockets();
  /**
   * A fresh random source port every 4 queries per socket (RFC 5452 §9.2), 8 sockets per server in
   * turn. One port per query (Unbound's way) halved the cache-miss throughput here (a socket's
   * bind, connect and close on every query: bench/README.md); with 4, a port serves at most 4
   * queries, and 0x20 and the unwanted-reply threshold guard each of them.
   */
  private readonly udpPool = new UdpPool({ socketsPerServer: 8, queriesPerSocket: 4, own: this.own });
  /** Per server: whether it echoes 0x20 case, and the warnings about replies not its own. */
  private readonly spoof = new SpoofGuard();
  private readonly transports: Transports = { udp: this.udpPool.exchange, tcp: tcpTransport(this.own) };

  /** Finds servers that send our queries back to us, and keeps them out of their routes. */
  readonly loops: LoopGuard;

  constructor(
    private readonly log: Logger,
    config: UpstreamConfig,
  ) {
    this.loops = new LoopGuard(loopOptions(config), log);
  }

  /** The group that sends `zone`'s queries to `servers`, in that order, with `config`'s timeouts (over TCP only, if `tcpOnly`). */
  group(zone: string, servers: readonly Endpoint[], config: UpstreamConfig, tcpOnly = false): UpstreamGroup {
    this.loops.setOptions(loopOptions(config));
    const opts = { timeoutMs: config.timeoutMs, downMs: config.downMs, ednsSize: config.ednsSize, tcpOnly, loops: this.loops, healthOf: this.healthOf, spoof: this.spoof };
    return new UpstreamGroup(zone, servers.map((s) => this.servers.get(s)), opts, this.transports, this.log);
  }

  /** Lets go of the sockets of every server not in `inUse`. */
  retain(inUse: readonly Endpoint[]): void {
    this.servers.retain(inUse);
    this.udpPool.retain(inUse);
    this.spoof.retain(inUse);
  }

  /** The health of `server` (its label) in the route for `zone`, while some route has that pair. */
  serverHealth(zone: string, server: string): ServerHealth | undefined {
    return this.health.get(routeKey(zone, server));
  }

  /** The routes' groups now: the health of (route, server) pairs gone is forgotten; new pairs are probed for loops. */
  routesChanged(groups: readonly ProbedGroup[]): void {
    const inUse = new Set(groups.flatMap((g) => g.upstreams.map((u) => routeKey(g.zone, u.label))));
    for (const k of this.health.keys()) if (!inUse.has(k)) this.health.delete(k);
    this.loops.routesChanged(groups);
  }

  close(): void {
    this.loops.close();
    this.udpPool.close();
  }
}

function loopOptions(config: UpstreamConfig) {
  return { intervalMs: config.loopProbeIntervalMs, timeoutMs: config.timeoutMs };
}

/** A (route, server) pair's key: the zone and the server, which no zone name contains a space of. */
function routeKey(zone: string, server: string): string {
  return `${zone} ${server}`;
}
