// The host's interface addresses in the shape of os.networkInterfaces(), including those of
// interfaces it leaves out. libuv lists only interfaces that are both up and running (IFF_UP and
// IFF_RUNNING), so a bridge with no port attached (docker0 with no container: NO-CARRIER) is
// missing although its addresses are assigned and can be bound. readInterfaces() adds them, read
// synchronously from procfs: IPv4 local addresses from /proc/self/net/fib_trie, each given its
// interface and prefix length by the connected routes of /proc/self/net/route; IPv6 addresses
// from /proc/self/net/if_inet6. /proc/self/net rather than /proc/net: the systemd unit runs with
// ProcSubset=pid, which hides /proc/net but keeps /proc/self/net.
import { readFileSync } from 'node:fs';
import { endianness, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { canonicalIPv6 } from './address.js';

/** Where readInterfaces() reads from; tests give their own. */
export interface InterfaceSources {
  readonly networkInterfaces: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** The text of /proc/self/net/fib_trie. */
  readonly fibTrie: () => string;
  /** The text of /proc/self/net/route. */
  readonly route: () => string;
  /** The text of /proc/self/net/if_inet6. */
  readonly ifInet6: () => string;
  /** The byte order /proc/self/net/route prints addresses in: the host's (default os.endianness()). */
  readonly endianness?: 'LE' | 'BE';
}

export const DEFAULT_SOURCES: InterfaceSources = {
  networkInterfaces,
  fibTrie: () => readFileSync('/proc/self/net/fib_trie', 'utf8'),
  route: () => readFileSync('/proc/self/net/route', 'utf8'),
  ifInet6: () => readFileSync('/proc/self/net/if_inet6', 'utf8'),
};

/** A connected route of /proc/self/net/route: a subnet reached directly through an interface. */
export interface ConnectedRoute {
  readonly interface: string;
  /** The subnet's network address, dotted quad. */
  readonly destination: string;
  readonly prefixLength: number;
}

/** One line of /proc/self/net/if_inet6. */
export interface Inet6Address {
  /** Canonical spelling (`fd00:5::1`). */
  readonly address: string;
  readonly ifindex: number;
  readonly prefixLength: number;
  /** The kernel's scope: 0x00 global, 0x10 host, 0x20 link, 0x40 site. */
  readonly scope: number;
  /** The low 8 bits of the address flags (IFA_F_*). */
  readonly flags: number;
  readonly interface: string;
}

const MAC_UNKNOWN = '00:00:00:00:00:00';
const RTF_UP = 0x0001;
const RTF_GATEWAY = 0x0002;
const RTF_REJECT = 0x0200;
const IPV6_SCOPE_LINK = 0x20;
const IFA_F_OPTIMISTIC = 0x04;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;

/**
 * What networkInterfaces() returns, plus the addresses of the interfaces it leaves out. An address
 * it already lists (compared in canonical spelling; link-local ones per interface) is not added
 * again. Each family stands alone: if fib_trie or route cannot be read or parsed no IPv4 address is
 * added, if if_inet6 cannot (IPv6 disabled) no IPv6 one; never throws for that.
 *
 * Left out: an IPv4 address without a connected route containing it (a /32, or one added with
 * noprefixroute), since procfs names no interface for it; an IPv6 address still tentative (duplicate
 * address detection waits for carrier: it cannot be bound yet) or whose detection failed.
 */
export function readInterfaces(sources: InterfaceSources = DEFAULT_SOURCES): NodeJS.Dict<NetworkInterfaceInfo[]> {
  const listed = sources.networkInterfaces();
  const out: NodeJS.Dict<NetworkInterfaceInfo[]> = {};
  const known = new Set<string>();
  for (const [name, infos] of Object.entries(listed)) {
    out[name] = [...(infos ?? [])];
    for (const info of infos ?? []) known.add(addressKey(info, name));
  }
  const add = (name: string, info: NetworkInterfaceInfo): void => {
    const key = addressKey(info, name);
    if (known.has(key)) return;
    known.add(key);
    (out[name] ??= []).push(info);
  };
  for (const [name, info] of attempt(() => ipv4Extras(sources))) add(name, info);
  for (const [name, info] of attempt(() => ipv6Extras(sources))) add(name, info);
  return out;
}

/** The entries of one family, or none if its files cannot be read or parsed. */
function attempt(read: () => Array<[string, NetworkInterfaceInfo]>): Array<[string, NetworkInterfaceInfo]> {
  try {
    return read();
  } catch {
    return [];
  }
}

function ipv4Extras(sources: InterfaceSources): Array<[string, NetworkInterfaceInfo]> {
  const locals = parseFibTrieLocals(sources.fibTrie());
  const routes = parseConnectedRoutes(sources.route(), sources.endianness ?? endianness());
  const out: Array<[string, NetworkInterfaceInfo]> = [];
  for (const address of locals) {
    const route = connectedRouteOf(address, routes);
    if (!route) continue;
    out.push([
      route.interface,
      {
        address,
        netmask: ipv4Netmask(route.prefixLength),
        family: 'IPv4',
        mac: MAC_UNKNOWN,
        internal: route.interface === 'lo' || address.startsWith('127.'),
        cidr: `${address}/${route.prefixLength}`,
      },
    ]);
  }
  return out;
}

function ipv6Extras(sources: InterfaceSources): Array<[string, NetworkInterfaceInfo]> {
  const out: Array<[string, NetworkInterfaceInfo]> = [];
  for (const a of parseIfInet6(sources.ifInet6())) {
    if (!isBindable(a)) continue;
    out.push([
      a.interface,
      {
        address: a.address,
        netmask: ipv6Netmask(a.prefixLength),
        family: 'IPv6',
        mac: MAC_UNKNOWN,
        internal: a.interface === 'lo' || a.address === '::1',
        cidr: `${a.address}/${a.prefixLength}`,
        scopeid: a.scope === IPV6_SCOPE_LINK ? a.ifindex : 0,
      },
    ]);
  }
  return out;
}

/** Not tentative (unless optimistic) and not failed duplicate address detection: bind() takes it. */
export function isBindable(a: Inet6Address): boolean {
  if (a.flags & IFA_F_DADFAILED) return false;
  return !(a.flags & IFA_F_TENTATIVE) || (a.flags & IFA_F_OPTIMISTIC) !== 0;
}

/** How two entries are told apart: the canonical address, and for link-local IPv6 the interface too. */
function addressKey(info: NetworkInterfaceInfo, name: string): string {
  if (info.family !== 'IPv6' && (info.family as unknown) !== 6) return info.address;
  const address = canonicalIPv6(info.address.replace(/%.*$/, ''));
  return /^fe[89ab]/i.test(address) ? `${address}%${name}` : address;
}

/**
 * The local addresses of /proc/self/net/fib_trie: a leaf line `|-- A.B.C.D` followed (before the
 * next leaf or node) by a `/32 host LOCAL` line. The file lists every table (Main, Local, those of
 * VRFs); each address comes once, in the order first seen. Throws if the text lists no table.
 */
export function parseFibTrieLocals(text: string): string[] {
  const found = new Set<string>();
  let tables = 0;
  let leaf: string | null = null;
  for (const line of text.split('\n')) {
    if (/^\S.*:\s*$/.test(line)) {
      tables++;
      leaf = null;
      continue;
    }
    const leafMatch = /^\s*\|--\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(line);
    if (leafMatch) {
      leaf = leafMatch[1]!;
      continue;
    }
    if (/^\s*\+--/.test(line)) {
      leaf = null;
      continue;
    }
    const alias = /^\s*\/(\d+)\s+\S+\s+(\S+)/.exec(line);
    if (alias && leaf !== null && alias[1] === '32' && alias[2] === 'LOCAL') found.add(leaf);
  }
  if (tables === 0) throw new Error('fib_trie: no table header');
  return [...found];
}

/**
 * The connected routes of /proc/self/net/route: up, no gateway, not a reject route, not a default
 * route, through an interface. Columns are found by the header line. Addresses are printed as the
 * host reads a network-order 32-bit word: byte-swapped on a little-endian host (`endian` 'LE').
 * Throws if the header lacks a needed column or a line does not parse.
 */
export function parseConnectedRoutes(text: string, endian: 'LE' | 'BE' = endianness()): ConnectedRoute[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').trim().split(/\s+/);
  const column = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`route: no ${name} column`);
    return i;
  };
  const [iface, dest, gateway, flags, mask] = ['Iface', 'Destination', 'Gateway', 'Flags', 'Mask'].map(column) as [number, number, number, number, number];
  const out: ConnectedRoute[] = [];
  for (const line of lines) {
    const cells = line.trim().split(/\s+/);
    const hex = (i: number): number => {
      const cell = cells[i];
      if (cell === undefined || !/^[0-9A-Fa-f]{1,8}$/.test(cell)) throw new Error(`route: cannot parse ${JSON.stringify(line)}`);
      return parseInt(cell, 16);
    };
    const word = (i: number): number => (endian === 'LE' ? swap32(hex(i)) : hex(i));
    const f = hex(flags);
    const g = word(gateway);
    const m = word(mask);
    const d = word(dest);
    const name = cells[iface]!;
    if (!(f & RTF_UP) || f & RTF_GATEWAY || f & RTF_REJECT || g !== 0 || name === '*' || m === 0) continue;
    const prefixLength = maskLength(m);
    if (prefixLength === null) continue;
    out.push({ interface: name, destination: dottedQuad(d & m), prefixLength });
  }
  return out;
}

/** The connected route with the longest prefix containing `address` (the first of equals), if any. */
export function connectedRouteOf(address: string, routes: readonly ConnectedRoute[]): ConnectedRoute | undefined {
  const a = ipv4Number(address);
  let best: ConnectedRoute | undefined;
  for (const r of routes) {
    if (best && r.prefixLength <= best.prefixLength) continue;
    const m = prefixMask(r.prefixLength);
    if (((a & m) >>> 0) === ((ipv4Number(r.destination) & m) >>> 0)) best = r;
  }
  return best;
}

/**
 * The lines of /proc/self/net/if_inet6: address (32 hex digits), ifindex, prefix length, scope and
 * flags (hex), interface name. Throws on a line that does not parse.
 */
export function parseIfInet6(text: string): Inet6Address[] {
  const out: Inet6Address[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^\s*([0-9a-fA-F]{32})\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+(\S+)\s*$/.exec(line);
    if (!m) throw new Error(`if_inet6: cannot parse ${JSON.stringify(line)}`);
    const prefixLength = parseInt(m[3]!, 16);
    if (prefixLength > 128) throw new Error(`if_inet6: prefix length ${prefixLength} in ${JSON.stringify(line)}`);
    out.push({
      address: canonicalIPv6(m[1]!.match(/.{4}/g)!.join(':')),
      ifindex: parseInt(m[2]!, 16),
      prefixLength,
      scope: parseInt(m[4]!, 16),
      flags: parseInt(m[5]!, 16),
      interface: m[6]!,
    });
  }
  return out;
}

/** `255.255.240.0` for 20. */
export function ipv4Netmask(prefixLength: number): string {
  return dottedQuad(prefixMask(prefixLength));
}

/** `ffff:ffff:ffff:ffff::` for 64, spelled as networkInterfaces() spells it. */
export function ipv6Netmask(prefixLength: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefixLength - i * 16));
    groups.push(((0xffff << (16 - bits)) & 0xffff).toString(16));
  }
  return canonicalIPv6(groups.join(':'));
}

function prefixMask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** The prefix length of a contiguous mask, or null if its bits are not contiguous. */
function maskLength(mask: number): number | null {
  let n = 0;
  while (n < 32 && mask & (0x80000000 >>> n)) n++;
  return prefixMask(n) === mask >>> 0 ? n : null;
}

function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

function dottedQuad(x: number): string {
  return [x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff].join('.');
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0) >>> 0;
}
