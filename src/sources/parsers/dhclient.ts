// ISC dhclient lease files (`lease { … }`, `lease6 { … }`) → the current lease per interface and
// the default route's nameservers. Pure: text and the clock in, a value out (DESIGN.md §4).
import { isIP } from 'node:net';
import { type Endpoint, parseEndpoint, uniqueEndpoints } from '../../address.js';
import { chooseLeases, type LeaseServers } from '../lease-choice.js';
import type { ParseOutcome } from '../parse-outcome.js';
import { linkDomains, splitNames } from './domains.js';
import { parseStatements, type Statement, type Token, tokenize } from './dhclient-syntax.js';

export interface Lease {
  readonly family: 4 | 6;
  readonly interface: string;
  /** IPv4 `fixed-address`, or the first IPv6 `iaaddr`. */
  readonly fixedAddress?: string;
  /** `option domain-name-servers` / `option dhcp6.name-servers`, port 53, file order. */
  readonly servers: readonly Endpoint[];
  readonly domainName?: string;
  /** `option domain-search` / `option dhcp6.domain-search`. */
  readonly searchDomains?: readonly string[];
  /** The domain name's and search list's names: lower case, no trailing dot, each once. */
  readonly domains: readonly string[];
  readonly renew?: Date;
  readonly rebind?: Date;
  /** Absent when the file says `never` or gives no expiry: such a lease does not expire. */
  readonly expire?: Date;
}

export type DhclientParse =
  | {
      readonly ok: true;
      /** Every complete lease block, in file order. */
      readonly all: readonly Lease[];
      /** The current leases at `now`: one per interface and family, ordered by the interface's first block. */
      readonly leases: readonly Lease[];
      /** Union of the current leases' nameservers in that order, without duplicates. */
      readonly servers: readonly Endpoint[];
      /** Values that were skipped, e.g. `line 8: "foo" is not an IP address`. */
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

const INFINITE_LIFETIME = 0xffffffff;
type MutableLease = { -readonly [K in keyof Lease]: Lease[K] };
/** A block's domain names as each option last gave them, joined once the block is read. */
interface DomainLists {
  name: string[];
  search: string[];
}

export function parseDhclientLeases(text: string, now: Date): DhclientParse {
  if (text.length === 0) return { ok: false, reason: 'empty file' };
  if (/^[\s\0]*$/.test(text)) return { ok: false, reason: 'file holds only whitespace and NUL bytes' };
  const blocks = parseStatements(tokenize(text)).filter(isLeaseBlock);
  const complete = blocks.filter((b) => !b.incomplete);
  if (complete.length === 0) {
    return blocks.length > 0
      ? { ok: false, reason: 'the only lease block is cut off (no closing "}")' }
      : { ok: false, reason: 'no lease { } block found' };
  }
  const warnings: string[] = [];
  const all = complete.map((b) => (keyword(b) === 'lease' ? lease4(b, warnings) : lease6(b, warnings)));
  const views = all.map(leaseServers);
  const choice = chooseLeases(views, now.getTime());
  const leases = choice.leases.map((v) => all[views.indexOf(v)]!);
  return { ok: true, all, leases, servers: choice.servers, warnings };
}

/**
 * The lease-file source's view of a dhclient file: every lease with its link and expiry, so the
 * source decides what is current across files, and decides again when a lease expires.
 */
export function dhclientOutcome(text: string): ParseOutcome {
  const r = parseDhclientLeases(text, new Date());
  return r.ok ? { ok: true, leases: r.all.map(leaseServers), warnings: r.warnings } : r;
}

function leaseServers(l: Lease): LeaseServers {
  return {
    link: `${l.family}/${l.interface}`,
    servers: l.servers,
    ...(l.expire ? { expires: l.expire.getTime() } : {}),
    ...(l.domains.length > 0 ? { domains: l.domains } : {}),
  };
}

function joinDomains(lists: DomainLists): string[] {
  return [...new Set([...lists.name, ...lists.search])];
}

function keyword(s: Statement): string {
  return s.words.length === 1 && !s.words[0]!.quoted ? s.words[0]!.text : '';
}

function isLeaseBlock(s: Statement): boolean {
  return s.block !== undefined && (keyword(s) === 'lease' || keyword(s) === 'lease6');
}

/** `lease { interface "x"; fixed-address …; option …; renew|rebind|expire <date>; }` */
function lease4(block: Statement, warnings: string[]): Lease {
  const l: MutableLease = { family: 4, interface: '', servers: [], domains: [] };
  const lists: DomainLists = { name: [], search: [] };
  for (const s of block.block ?? []) {
    const [name, ...args] = s.words.map((w) => w.text);
    if (name === 'interface' && args[0] !== undefined) l.interface = args[0];
    else if (name === 'fixed-address' && args[0] !== undefined) l.fixedAddress = args[0];
    else if (name === 'renew' || name === 'rebind' || name === 'expire') {
      const d = parseLeaseDate(s.words.slice(1), warnings);
      if (d !== undefined) l[name] = d;
    } else if (name === 'option') applyOption(l, s, warnings, lists);
  }
  l.domains = joinDomains(lists);
  return l;
}

/** `lease6 { interface "x"; ia-na ID { starts N; … iaaddr A { starts N; max-life N; } } option …; }` */
function lease6(block: Statement, warnings: string[]): Lease {
  const l: MutableLease = { family: 6, interface: '', servers: [], domains: [] };
  const lists: DomainLists = { name: [], search: [] };
  let expire = 0;
  for (const s of block.block ?? []) {
    const name = s.words[0]?.text;
    if (name === 'interface' && s.words[1] !== undefined) l.interface = s.words[1].text;
    else if (name === 'option') applyOption(l, s, warnings, lists);
    for (const addr of (s.block ?? []).filter((a) => a.block !== undefined && a.words.length >= 2)) {
      if (addr.words[0]!.text === 'iaaddr') l.fixedAddress ??= addr.words[1]!.text;
      const starts = numberIn(addr.block!, 'starts');
      const life = numberIn(addr.block!, 'max-life');
      if (life === INFINITE_LIFETIME) expire = Infinity;
      else if (starts !== undefined && life !== undefined) expire = Math.max(expire, starts + life);
    }
  }
  if (expire > 0 && Number.isFinite(expire)) l.expire = new Date(expire * 1000);
  l.domains = joinDomains(lists);
  return l;
}

function numberIn(block: readonly Statement[], name: string): number | undefined {
  const s = block.find((x) => x.words[0]?.text === name && x.words.length === 2);
  return s && /^\d+$/.test(s.words[1]!.text) ? Number(s.words[1]!.text) : undefined;
}

/** `domain-name` is one string that may hold several names; `domain-search` a list (RFC 3397). */
function applyOption(l: MutableLease, s: Statement, warnings: string[], lists: DomainLists): void {
  const name = s.words[1]?.text;
  const values = s.words.slice(2).filter((w) => !(w.text === ',' && !w.quoted));
  if (name === 'domain-name-servers' || name === 'dhcp6.name-servers') {
    l.servers = uniqueEndpoints(values.flatMap((w) => nameserver(w, warnings)));
  } else if (name === 'domain-name' && values[0] !== undefined) {
    l.domainName = values[0].text;
    lists.name = linkDomains(splitNames(l.domainName), warnings, `line ${s.line}`);
  } else if (name === 'domain-search' || name === 'dhcp6.domain-search') {
    l.searchDomains = values.map((w) => w.text);
    lists.search = linkDomains(l.searchDomains, warnings, `line ${s.line}`);
  }
}

function nameserver(w: Token, warnings: string[]): Endpoint[] {
  const parsed = isIP(w.text) === 0 ? undefined : parseEndpoint(w.text, 53);
  if (parsed?.ok) return [parsed.value];
  warnings.push(`line ${w.line}: nameserver "${w.text}" is not an IP address`);
  return [];
}

/**
 * `W YYYY/MM/DD HH:MM:SS` (UTC), `epoch N` (db-time-format local; a `# …` comment follows) or
 * `never` (→ undefined, like a missing date).
 */
export function parseLeaseDate(words: readonly Token[], warnings: string[] = []): Date | undefined {
  const t = words.map((w) => w.text);
  if (t.length === 1 && t[0] === 'never') return undefined;
  if (t.length === 2 && t[0] === 'epoch' && /^\d+$/.test(t[1]!)) return new Date(Number(t[1]) * 1000);
  const m = t.length === 3 && /^\d$/.test(t[0]!) ? dateMatch(t[1]!, t[2]!) : undefined;
  if (m) return m;
  warnings.push(`line ${words[0]?.line ?? 0}: date "${t.join(' ')}" not understood`);
  return undefined;
}

function dateMatch(day: string, time: string): Date | undefined {
  const d = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(day);
  const h = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(time);
  if (!d || !h) return undefined;
  const [y, mo, da] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const [hh, mi, ss] = [Number(h[1]), Number(h[2]), Number(h[3])];
  if (mo < 1 || mo > 12 || da < 1 || da > 31 || hh > 23 || mi > 59 || ss > 60) return undefined;
  const date = new Date(Date.UTC(y, mo - 1, da, hh, mi, ss));
  // Date.UTC rolls 2026/02/30 over into March: such a day does not exist.
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === da ? date : undefined;
}
