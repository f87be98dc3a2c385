// Which leases count at a given moment: per link, the last lease that has not expired; expired
// leases only when no link anywhere has a live one (a stale file beats no servers at all).
import { type Endpoint, uniqueEndpoints } from '../address.js';

/** The servers one lease names, as parsers hand them over (file order). */
export interface LeaseServers {
  /** The link the lease belongs to, e.g. `4/eth0`; a later lease of the same link replaces it. */
  readonly link: string;
  readonly servers: readonly Endpoint[];
  /** Expiry in ms since the epoch; absent when the lease never expires (or has no expiry). */
  readonly expires?: number;
  /**
   * The link's own domains: the lease's domain name and search domains (lower case, no trailing
   * dot), routed to this lease's servers (like systemd-resolved's per-link domains).
   */
  readonly domains?: readonly string[];
  /** The file it was read from (set by the source that read it), for the operator's views. */
  readonly file?: string;
}

export interface LeaseChoice {
  /** The chosen leases, one per link, in order of each link's first lease. */
  readonly leases: readonly LeaseServers[];
  /** Their servers in that order, without duplicates. */
  readonly servers: readonly Endpoint[];
  /** The next moment a lease in the list expires (the choice may change then), or undefined. */
  readonly recheckAt?: number;
}

function isLive(l: LeaseServers, now: number): boolean {
  return l.expires === undefined || l.expires >= now;
}

/** The current lease per link among `all` (in file order) at `now`. */
export function chooseLeases(all: readonly LeaseServers[], now: number): LeaseChoice {
  const live = all.filter((l) => isLive(l, now));
  const pool = live.length > 0 ? live : all;
  // Order by the link's first lease, so a renewal on one link does not reorder the servers.
  const order = [...new Set(all.map((l) => l.link))];
  const last = new Map<string, LeaseServers>();
  for (const l of pool) last.set(l.link, l);
  const leases = order.flatMap((k) => last.get(k) ?? []);
  // The next expiry to come; a loop, not Math.min(...all), which overflows the stack on a long list.
  const next = all.reduce((min, l) => (l.expires !== undefined && l.expires >= now && l.expires < min ? l.expires : min), Infinity);
  return {
    leases,
    servers: uniqueEndpoints(leases.flatMap((l) => l.servers)),
    ...(next < Infinity ? { recheckAt: next } : {}),
  };
}
