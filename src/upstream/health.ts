// One upstream server and its recent health: a server that failed goes to the back of the order
// for `downMs`, then gets another chance; a server that rejects EDNS is asked without it for a
// while (RFC 6891 §6.2.2). Health outlives route changes: the daemon keeps one
// Upstream per server (an EndpointMap) for as long as some route uses it.
import { formatEndpoint, type Endpoint } from '../address.js';

export class Upstream {
  readonly label: string;
  private downUntil = 0;
  private plainUntil = 0;

  constructor(readonly endpoint: Endpoint) {
    this.label = formatEndpoint(endpoint);
  }

  isDown(now: number): boolean {
    return now < this.downUntil;
  }

  /** Returns true when this failure newly marked the server down. */
  recordFailure(now: number, downMs: number): boolean {
    const wasDown = this.isDown(now);
    this.downUntil = now + downMs;
    return !wasDown;
  }

  /** Returns true when the server was down until now. */
  recordSuccess(now: number): boolean {
    const wasDown = this.isDown(now);
    this.downUntil = 0;
    return wasDown;
  }

  /** Whether to ask this server without EDNS (it rejected a query with an OPT record lately). */
  rejectsEdns(now: number): boolean {
    return now < this.plainUntil;
  }

  /** The server answered a query without OPT after rejecting it with one: no EDNS for `forMs`. */
  recordEdnsRejected(now: number, forMs: number): void {
    this.plainUntil = now + forMs;
  }

  get downUntilMs(): number {
    return this.downUntil;
  }
}
