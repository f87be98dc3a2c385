// Turns the `upstream:` section into the upstream groups routes send to, and keeps what outlives a
// route table: one health record and one set of UDP sockets per server, for as long as some route
// uses the server, and the UDP and TCP transports.
import type { Endpoint } from '../address.js';
import type { Logger } from '../log.js';
import type { UpstreamConfig } from './config.js';
import { EndpointMap } from './endpoint-map.js';
import { UpstreamGroup, type Transports } from './group.js';
import { Upstream } from './health.js';
import { tcpExchange } from './transport/tcp.js';
import { UdpPool } from './transport/udp-pool.js';

export class Upstreams {
  private readonly health = new EndpointMap((server) => new Upstream(server));
  private readonly udpPool = new UdpPool({ socketsPerServer: 8, queriesPerSocket: 100 });
  private readonly transports: Transports = { udp: this.udpPool.exchange, tcp: tcpExchange };

  constructor(private readonly log: Logger) {}

  /** The group that sends `zone`'s queries to `servers`, in that order, with `config`'s timeouts (over TCP only, if `tcpOnly`). */
  group(zone: string, servers: readonly Endpoint[], config: UpstreamConfig, tcpOnly = false): UpstreamGroup {
    const opts = { timeoutMs: config.timeoutMs, downMs: config.downMs, ednsSize: config.ednsSize, tcpOnly };
    return new UpstreamGroup(zone, servers.map((s) => this.health.get(s)), opts, this.transports, this.log);
  }

  /** Lets go of the health and sockets of every server not in `inUse`. */
  retain(inUse: readonly Endpoint[]): void {
    this.health.retain(inUse);
    this.udpPool.retain(inUse);
  }

  close(): void {
    this.udpPool.close();
  }
}
