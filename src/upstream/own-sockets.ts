// The local addresses of dnsfwd's own upstream sockets (UDP and TCP), so that a query arriving
// from one of them is known for what it is: dnsfwd forwarding to itself along a path the static
// rule (route/self.ts) cannot see, such as a DNAT rule. Such a query is answered SERVFAIL at once,
// before the loop probe has had time to find the server, so that it cannot go round.
import { unmappedHost } from '../address.js';

export class OwnSockets {
  /** Local port → the local addresses using it ("address" strings, IPv4-mapped as IPv4). */
  private readonly byPort = new Map<number, Map<string, number>>();

  add(address: string, port: number): void {
    const host = unmappedHost(address);
    let hosts = this.byPort.get(port);
    if (!hosts) this.byPort.set(port, (hosts = new Map()));
    hosts.set(host, (hosts.get(host) ?? 0) + 1);
  }

  remove(address: string, port: number): void {
    const host = unmappedHost(address);
    const hosts = this.byPort.get(port) ?? new Map<string, number>();
    const n = hosts.get(host) ?? 0;
    if (n > 1) hosts.set(host, n - 1);
    else hosts.delete(host);
    if (hosts.size === 0) this.byPort.delete(port);
  }

  /** How many local ports our open upstream sockets use. */
  get ports(): number {
    return this.byPort.size;
  }

  /** Whether a client at `address`:`port` is one of our upstream sockets. */
  has(address: string, port: number): boolean {
    // Fast path: a client's port is almost never one of ours.
    const hosts = this.byPort.get(port);
    return hosts !== undefined && hosts.has(unmappedHost(address));
  }
}
