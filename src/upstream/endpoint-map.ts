// What dnsfwd keeps per upstream server (its health, its sockets), made on first use and let go
// once no route uses the server any more.
import { formatEndpoint, type Endpoint } from '../address.js';

export class EndpointMap<V> {
  private readonly byKey = new Map<string, V>();

  constructor(
    private readonly create: (server: Endpoint) => V,
    /** Runs for each value let go. */
    private readonly release: (value: V) => void = () => {},
  ) {}

  /** The value for `server`, made the first time it is asked for. */
  get(server: Endpoint): V {
    const key = formatEndpoint(server);
    let v = this.byKey.get(key);
    if (v === undefined) {
      v = this.create(server);
      this.byKey.set(key, v);
    }
    return v;
  }

  /** Lets go of every server not in `inUse`. */
  retain(inUse: Iterable<Endpoint>): void {
    const keep = new Set([...inUse].map(formatEndpoint));
    for (const [key, v] of this.byKey) {
      if (keep.has(key)) continue;
      this.byKey.delete(key);
      this.release(v);
    }
  }
}
