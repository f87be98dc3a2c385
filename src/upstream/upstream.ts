// One upstream server and its recent health: a server that failed goes to the back of the order
// for `downMs`, then gets another chance. Health outlives route changes via UpstreamRegistry.
import { formatEndpoint, type Endpoint } from '../address.js';

export class Upstream {
  readonly label: string;
  private downUntil = 0;
  private consecutiveFailures = 0;

  constructor(readonly endpoint: Endpoint) {
    this.label = formatEndpoint(endpoint);
  }

  isDown(now: number): boolean {
    return now < this.downUntil;
  }

  get failures(): number {
    return this.consecutiveFailures;
  }

  /** Returns true when this failure newly marked the server down. */
  recordFailure(now: number, downMs: number): boolean {
    const wasDown = this.isDown(now);
    this.consecutiveFailures++;
    this.downUntil = now + downMs;
    return !wasDown;
  }

  /** Returns true when the server was down until now. */
  recordSuccess(now: number): boolean {
    const wasDown = this.consecutiveFailures > 0 && this.isDown(now);
    this.consecutiveFailures = 0;
    this.downUntil = 0;
    return wasDown;
  }

  get downUntilMs(): number {
    return this.downUntil;
  }
}

/** Hands out one Upstream per endpoint, so health survives rebuilding routes. */
export class UpstreamRegistry {
  private readonly byKey = new Map<string, Upstream>();

  get(endpoint: Endpoint): Upstream {
    const key = formatEndpoint(endpoint);
    let u = this.byKey.get(key);
    if (!u) {
      u = new Upstream(endpoint);
      this.byKey.set(key, u);
    }
    return u;
  }

  /** Forgets endpoints no route uses any more. */
  retain(inUse: Iterable<Endpoint>): void {
    const keep = new Set([...inUse].map(formatEndpoint));
    for (const key of this.byKey.keys()) if (!keep.has(key)) this.byKey.delete(key);
  }
}
