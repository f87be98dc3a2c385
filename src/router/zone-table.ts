// Zones → routes, matched by longest suffix, label by label (RFC 1034 §3.1: names compare
// case-insensitively; `notconsul` does not match `consul`). The root zone '' is the default route.

export interface Route<G> {
  /** Lower-case zone without trailing dot; '' is the root. */
  readonly zone: string;
  readonly group: G;
  /** Whether answers learned through this route may be cached. */
  readonly cache: boolean;
}

export class ZoneTable<G> {
  private readonly byZone: ReadonlyMap<string, Route<G>>;

  constructor(routes: Iterable<Route<G>>) {
    const map = new Map<string, Route<G>>();
    for (const r of routes) map.set(r.zone, r);
    if (!map.has('')) throw new Error('ZoneTable needs a root route');
    this.byZone = map;
  }

  /**
   * The route of the longest zone that `name` (lower case, no trailing dot, as parseQuery gives)
   * is in or under. Dots inside labels arrive escaped (`\046`), so splitting on '.' is label-wise.
   */
  lookup(name: string): Route<G> {
    let suffix = name;
    for (;;) {
      const route = this.byZone.get(suffix);
      if (route) return route;
      const dot = suffix.indexOf('.');
      if (dot < 0) return this.byZone.get('')!;
      suffix = suffix.slice(dot + 1);
    }
  }

  routes(): IterableIterator<Route<G>> {
    return this.byZone.values();
  }
}
