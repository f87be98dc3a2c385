// Which clients dnsfwd answers (`access:`, as Unbound's access-control): the most specific prefix
// that contains the client decides, among the configured entries and the built-in ones, which are
// Unbound's way too: loopback (127.0.0.0/8, ::1) and the directly connected subnets of the
// addresses dnsfwd listens on are allowed, everything else (0.0.0.0/0, ::/0) is refused; at the
// same prefix, a configured entry wins. So `{from: 0.0.0.0/0, action: drop}` drops strangers but
// still answers loopback and the connected subnets. The connected subnets come from a snapshot of the host's interfaces
// (os.networkInterfaces(), each address with its `cidr`), and are recomputed from a new one.
import type { NetworkInterfaceInfo } from 'node:os';
import type { Endpoint, WatchedListen } from '../address.js';
import type { AccessAction, AccessRule } from './client-config.js';
import { contains, formatPrefix, type Ip, overlaps, parseIp, parsePrefix, type Prefix } from './ip-prefix.js';

/** What os.networkInterfaces() returns: interface name → its addresses. */
export type HostInterfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

export interface AccessDecision {
  readonly action: AccessAction;
  /** The entry that decided (`192.168.0.0/16`), or null: the default did. */
  readonly entry: string | null;
}

const UNSPECIFIED = new Set(['0.0.0.0', '::']);
const LOOPBACK = [prefix('127.0.0.0/8'), prefix('::1/128')];
const EVERYTHING = [prefix('0.0.0.0/0'), prefix('::/0')];

function prefix(text: string): Prefix {
  const p = parsePrefix(text, 'clear');
  if (!p.ok) throw new Error(`bug: ${p.reason}`);
  return p.value;
}

interface Entry {
  readonly prefix: Prefix;
  /** The configured entry's text; null for a built-in one. */
  readonly text: string | null;
  readonly action: AccessAction;
}

export class AccessList {
  /** Longest prefix first, configured before built-in at the same length: the first that contains an address decides. */
  private readonly entries: readonly Entry[];
  /** Allowed by default: loopback and the connected subnets. */
  private readonly allowed: readonly Prefix[];
  /**
   * No entry covers any loopback address: every loopback client is allowed by the default, and
   * can be told from its address text alone (ClientPolicy's fast path).
   */
  readonly loopbackByDefault: boolean;

  constructor(rules: readonly AccessRule[], listen: readonly Endpoint[], watched: readonly WatchedListen[], host: HostInterfaces) {
    const configured: Entry[] = rules.map((r) => ({ prefix: prefix(r.from), text: r.from, action: r.action }));
    this.allowed = [...LOOPBACK, ...connectedSubnets(listen, watched, host)];
    const builtIn: Entry[] = [
      ...this.allowed.map((p) => ({ prefix: p, text: null, action: 'allow' as const })),
      ...EVERYTHING.map((p) => ({ prefix: p, text: null, action: 'refuse' as const })),
    ];
    // A stable sort: at the same length, the configured entries (first) stay ahead.
    this.entries = [...configured, ...builtIn].sort((a, b) => b.prefix.length - a.prefix.length);
    // Only a configured entry inside a loopback prefix (as specific or more) can outrank its built-in allow.
    this.loopbackByDefault = !configured.some((e) => LOOPBACK.some((l) => e.prefix.length >= l.length && overlaps(e.prefix, l)));
  }

  decide(ip: Ip): AccessDecision {
    const e = this.entries.find((x) => contains(x.prefix, ip))!; // 0.0.0.0/0 and ::/0 contain every address
    return { action: e.action, entry: e.text };
  }

  /** The subnets allowed by default besides loopback, as text (for the log). */
  connected(): string[] {
    return [...new Set(this.allowed.slice(LOOPBACK.length).map(formatPrefix))];
  }
}

/**
 * The directly connected subnets of the addresses dnsfwd listens on: of each listen address (and
 * each watched one, or every address of a watched interface) the subnet its interface gives it; a
 * wildcard listen address (0.0.0.0, ::) means every address of the host. An address not on the
 * host gives none.
 */
export function connectedSubnets(listen: readonly Endpoint[], watched: readonly WatchedListen[], host: HostInterfaces): Prefix[] {
  const all = Object.entries(host).flatMap(([name, list]) => (list ?? []).map((info) => ({ name, info })));
  const everywhere = listen.some((e) => UNSPECIFIED.has(e.host));
  const hosts = [...listen.map((e) => e.host), ...watched.flatMap((w) => (w.kind === 'address' ? [w.endpoint.host] : []))]
    .map(parseIp)
    .filter((ip): ip is Ip => ip !== null);
  const interfaces = new Set(watched.flatMap((w) => (w.kind === 'interface' ? [w.name] : [])));
  const out: Prefix[] = [];
  for (const { name, info } of all) {
    const p = parsePrefix(info.cidr ?? '', 'clear');
    const ip = parseIp(info.address);
    if (!p.ok || ip === null) continue; // no CIDR (Node gives null for a bad netmask), or not an address
    const listened = everywhere || interfaces.has(name) || hosts.some((h) => h.family === ip.family && h.value === ip.value);
    if (listened) out.push(p.value);
  }
  return out;
}
