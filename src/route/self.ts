// Whether a server is dnsfwd itself, so that it never forwards to itself: exactly when a query
// sent there reaches one of dnsfwd's own sockets. That is one of its listen addresses, an address
// of an interface it listens on, or, when it listens on a wildcard address (0.0.0.0, ::), an
// address of this host of that family on that port. Any other server is used, loopback or not
// (systemd-resolved's 127.0.0.53, a dnsmasq on 127.0.0.2): a loop through another resolver is
// found at run time (upstream/loop-guard.ts).
import { isIP } from 'node:net';
import { readInterfaces } from '../host-interfaces.js';
import { isLoopbackHost, sameDestination, unmappedHost, type Endpoint, type WatchedListen } from '../address.js';

const WILDCARD: Readonly<Record<string, 4 | 6>> = { '0.0.0.0': 4, '::': 6 };

type InterfaceListen = Extract<WatchedListen, { kind: 'interface' }>;

/** Where dnsfwd listens: its addresses, and the interfaces and optional addresses it binds while they exist. */
export interface ListenSet {
  readonly listen: readonly Endpoint[];
  readonly listenWatched: readonly WatchedListen[];
}

/** This host's addresses by interface (IPv4-mapped ones as IPv4). */
export type HostInterfaces = Readonly<Record<string, readonly string[]>>;

/** Why `server` is dnsfwd itself, or null when a query sent there would reach someone else. */
export function selfReason(server: Endpoint, where: ListenSet, host: HostInterfaces): string | null {
  const addresses = [...where.listen, ...where.listenWatched.flatMap((w) => (w.kind === 'address' ? [w.endpoint] : []))];
  if (addresses.some((l) => sameDestination(l, server))) return 'it is one of our listen addresses';
  const address = unmappedHost(server.host);
  const interfaces = where.listenWatched.filter((w): w is InterfaceListen => w.kind === 'interface');
  const iface = interfaces.find((w) => w.port === server.port && host[w.name]?.includes(address));
  if (iface) return `an address of ${iface.name}, where dnsfwd listens on port ${iface.port}`;
  const family = isIP(address);
  const wildcard = where.listen.some((l) => l.port === server.port && WILDCARD[l.host] === family);
  if (wildcard && (isLoopbackHost(address) || Object.values(host).some((list) => list.includes(address)))) {
    return `an address of this host on port ${server.port}, where dnsfwd listens on every address`;
  }
  return null;
}

/** Whether `selfReason` needs this host's interfaces: a wildcard listen address, or an interface. */
export function needsHostInterfaces(where: ListenSet): boolean {
  return where.listen.some((l) => Object.hasOwn(WILDCARD, l.host)) || where.listenWatched.some((w) => w.kind === 'interface');
}

/** This host's addresses now, by interface. */
export function hostInterfaces(): HostInterfaces {
  const out: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(readInterfaces())) out[name] = (list ?? []).map((i) => unmappedHost(i.address));
  return out;
}
