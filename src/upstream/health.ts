// One upstream server, and what is known about it whatever the route: a server that rejects EDNS
// is asked without it for a while (RFC 6891 §6.2.2). The daemon keeps one Upstream per server (an
// EndpointMap) for as long as some route uses it. Whether it answers is kept per route
// (route-health.ts).
import { formatEndpoint, type Endpoint } from '../address.js';

export class Upstream {
  readonly label: string;
  private plainUntil = 0;

  constructor(readonly endpoint: Endpoint) {
    this.label = formatEndpoint(endpoint);
  }

  /** Whether to ask this server without EDNS (it rejected a query with an OPT record lately). */
  rejectsEdns(now: number): boolean {
    return now < this.plainUntil;
  }

  /** The server answered a query without OPT after rejecting it with one: no EDNS for `forMs`. */
  recordEdnsRejected(now: number, forMs: number): void {
    this.plainUntil = now + forMs;
  }
}
