// Zones → routes, matched by longest suffix, label by label (RFC 1034 §3.1: names compare
// case-insensitively; `notconsul` does not match `consul`). The root zone '' is the default route.
// A query is routed on its wire-format name directly, without decoding it (no allocation).
import { lowerAscii, presentationToWire } from '../wire/name.js';

export interface Route<G> {
  /** Lower-case zone without trailing dot; '' is the root. */
  readonly zone: string;
  readonly group: G;
  /** Whether answers learned through this route may be cached. */
  readonly cache: boolean;
  /** Whether its answers are validated (DNSSEC), when validation is on: the default route's, and routes that opt in. */
  readonly dnssec?: boolean;
}

interface WireZone<G> {
  /** The zone's labels in wire format (length-prefixed, lower case), without the root label. */
  readonly wire: Uint8Array;
  readonly route: Route<G>;
}

export class ZoneTable<G> {
  private readonly byZone: ReadonlyMap<string, Route<G>>;
  private readonly root: Route<G>;
  /** Non-root zones by the length of their wire form. */
  private readonly byWireLength = new Map<number, WireZone<G>[]>();

  constructor(routes: Iterable<Route<G>>) {
    const map = new Map<string, Route<G>>();
    for (const r of routes) map.set(r.zone, r);
    const root = map.get('');
    if (!root) throw new Error('ZoneTable needs a root route');
    this.byZone = map;
    this.root = root;
    // The root's wire name is empty: lookup never compares it (it falls back to the root).
    for (const route of map.values()) {
      const wire = wireName(route.zone);
      const list = this.byWireLength.get(wire.length) ?? [];
      list.push({ wire, route });
      this.byWireLength.set(wire.length, list);
    }
  }

  /**
   * The route for the uncompressed, already validated name at `offset` of `message` (a query's
   * question), without decoding it: each label boundary, leftmost (longest suffix) first, is
   * compared with the zones of that length, ASCII case-insensitively.
   */
  lookup(message: Uint8Array, offset: number): Route<G> {
    let end = offset;
    while (message[end] !== 0) end += message[end]! + 1;
    for (let start = offset; start < end; start += message[start]! + 1) {
      const candidates = this.byWireLength.get(end - start);
      if (candidates === undefined) continue;
      for (const z of candidates) if (sameWire(message, start, z.wire)) return z.route;
    }
    return this.root;
  }

  routes(): IterableIterator<Route<G>> {
    return this.byZone.values();
  }
}

/** `consul` → 06 'c' 'o' 'n' 's' 'u' 'l' (zones are letters, digits, '_' and '-': no escapes). */
function wireName(zone: string): Uint8Array {
  return presentationToWire(zone).subarray(0, -1);
}

function sameWire(message: Uint8Array, start: number, wire: Uint8Array): boolean {
  for (let i = 0; i < wire.length; i++) {
    if (lowerAscii(message[start + i]!) !== wire[i]) return false;
  }
  return true;
}
