// Whether a server is dnsfwd itself, so that it never forwards to itself (a loop): one of its
// listen addresses, a loopback address on port 53 while it listens on loopback port 53, or an
// address of this host on a port where it listens on every address.
import { networkInterfaces } from 'node:os';
import { isLoopbackHost, sameDestination, unmappedHost, type Endpoint } from '../address.js';

const UNSPECIFIED = new Set(['0.0.0.0', '::']);
const DNS_PORT = 53;

/**
 * Why `server` is dnsfwd itself, or null: it is one of our listen addresses (an IPv4-mapped
 * spelling included); or we listen on port 53 at loopback and it is a loopback address on port 53
 * (a lease naming 127.0.0.1 or 127.0.0.53); or we listen on every address of a port and it is an
 * address of this host (`localAddresses`) or loopback on that port.
 */
export function selfReason(server: Endpoint, listen: readonly Endpoint[], localAddresses: readonly string[] = []): string | null {
  if (listen.some((l) => sameDestination(l, server))) return 'it is one of our listen addresses';
  const host = unmappedHost(server.host);
  const loopback = isLoopbackHost(host);
  const on53 = server.port === DNS_PORT && listen.some((l) => l.port === DNS_PORT && isLoopbackHost(l.host));
  if (loopback && on53) return `a loopback address on port ${DNS_PORT}, where dnsfwd itself listens`;
  const wildcard = listen.some((l) => l.port === server.port && UNSPECIFIED.has(l.host));
  if (wildcard && (loopback || localAddresses.includes(host))) {
    return `an address of this host on port ${server.port}, where dnsfwd listens on every address`;
  }
  return null;
}

/** True when a listen address is a wildcard: then this host's own addresses are dnsfwd too. */
export function listensEverywhere(listen: readonly Endpoint[]): boolean {
  return listen.some((l) => UNSPECIFIED.has(l.host));
}

/** This host's addresses, IPv4-mapped ones as IPv4. */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => unmappedHost(i.address)));
}
