// Network endpoints (IP literal + port) as written by operators: `1.2.3.4`, `1.2.3.4:5353`,
// `::1`, `[::1]:53`. Upstreams are IP literals only: a forwarder cannot resolve its own servers.
import { isIP } from 'node:net';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/**
 * A listen entry bound only while its address is on the host, watched for: every address an
 * interface has (a bridge such as docker0 or nomad, made after dnsfwd starts), or one address
 * marked optional.
 */
export type WatchedListen =
  | { readonly kind: 'interface'; readonly name: string; readonly port: number }
  | { readonly kind: 'address'; readonly endpoint: Endpoint };

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export function parseEndpoint(text: string, defaultPort = 53): ParseResult<Endpoint> {
  const s = text.trim();
  let host = s;
  let portText: string | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return { ok: false, reason: `"${text}": missing "]" after IPv6 address` };
    host = s.slice(1, close);
    const rest = s.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return { ok: false, reason: `"${text}": expected ":PORT" after "]"` };
      portText = rest.slice(1);
    }
  } else if (s.split(':').length === 2) {
    [host, portText] = s.split(':') as [string, string];
  }
  const family = isIP(host);
  if (family === 0) {
    return { ok: false, reason: `"${text}": not an IP address (use ADDR, ADDR:PORT or [IPv6]:PORT)` };
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return { ok: false, reason: `"${text}": port must be a number from 1 to 65535` };
    }
    port = Number(portText);
  }
  return { ok: true, value: { host: family === 6 ? canonicalIPv6(host) : host, port, family: family as 4 | 6 } };
}

/** Endpoints from texts that may each hold a comma-separated list (`a,b` from the command line). */
export function parseEndpoints(texts: readonly string[]): ParseResult<Endpoint[]> {
  const out: Endpoint[] = [];
  for (const text of texts.flatMap((t) => t.split(','))) {
    const e = parseEndpoint(text);
    if (!e.ok) return e;
    out.push(e.value);
  }
  return { ok: true, value: out };
}

/**
 * The URL parser's spelling of an IPv6 address (0:0:0:0:0:0:0:1 → ::1). It refuses a zone id
 * (fe80::1%eth0): such an address is kept as written, lower-cased.
 */
export function canonicalIPv6(host: string): string {
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return host.toLowerCase();
  }
}

export function formatEndpoint(e: Endpoint): string {
  return e.family === 6 ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.host === b.host && a.port === b.port;
}

/**
 * An IPv4-mapped IPv6 host as IPv4 (`::ffff:7f00:1` as the URL parser writes it, `::ffff:127.0.0.1`
 * as Node reports a client of a dual-stack socket); others as they are.
 */
export function unmappedHost(host: string): string {
  if (host.startsWith('::ffff:') && host.includes('.')) return host.slice(7);
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!m) return host;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Same address and port, an IPv4-mapped IPv6 address being the IPv4 address it maps. */
export function sameDestination(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && unmappedHost(a.host) === unmappedHost(b.host);
}

export function isLoopbackHost(host: string): boolean {
  const h = unmappedHost(host);
  return h === '::1' || /^127\./.test(h);
}

/** Unique endpoints in first-seen order. */
export function uniqueEndpoints(list: Iterable<Endpoint>): Endpoint[] {
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const e of list) {
    const key = formatEndpoint(e);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(e);
    }
  }
  return out;
}
