// ISC dhclient lease files (`lease { … }`, `lease6 { … }`) → every complete lease, with its
// interface, nameservers, domains and expiry; the source decides which are current (the last
// unexpired one per interface: lease-choice.ts). Pure: text in, a value out.
import { uniqueEndpoints, type Endpoint } from '../../address.js';
import type { LeaseServers } from '../lease-choice.js';
import type { ParseOutcome } from '../parse-outcome.js';
import { parseStatements, type Statement, type Token, tokenize } from './dhclient-syntax.js';
import { lease, linkDomains, nameserver, splitNames } from './lease-values.js';

const INFINITE_LIFETIME = 0xffffffff;

/** What a block says, gathered statement by statement. */
interface BlockValues {
  iface: string;
  servers: Endpoint[];
  /** The domain name's and the search list's names, as each option last gave them. */
  nameDomains: string[];
  searchDomains: string[];
  expires?: number;
}

/** Every complete lease block, in file order; its link is `FAMILY/INTERFACE` (`4/eth0`). */
export function parseDhclient(text: string): ParseOutcome {
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
  const leases = complete.map((b) => (keyword(b) === 'lease' ? lease4(b, warnings) : lease6(b, warnings)));
  return { ok: true, leases, warnings };
}

function keyword(s: Statement): string {
  return s.words.length === 1 && !s.words[0]!.quoted ? s.words[0]!.text : '';
}

function isLeaseBlock(s: Statement): boolean {
  return s.block !== undefined && (keyword(s) === 'lease' || keyword(s) === 'lease6');
}

function toLease(family: 4 | 6, v: BlockValues): LeaseServers {
  return lease(`${family}/${v.iface}`, v.servers, [...new Set([...v.nameDomains, ...v.searchDomains])], v.expires);
}

/** `lease { interface "x"; option …; expire <date>; … }` */
function lease4(block: Statement, warnings: string[]): LeaseServers {
  const v: BlockValues = { iface: '', servers: [], nameDomains: [], searchDomains: [] };
  for (const s of block.block ?? []) {
    const [name, arg] = s.words.map((w) => w.text);
    if (name === 'interface' && arg !== undefined) v.iface = arg;
    else if (name === 'expire') v.expires = parseLeaseDate(s.words.slice(1), warnings)?.getTime() ?? v.expires;
    else if (name === 'option') applyOption(v, s, warnings);
  }
  return toLease(4, v);
}

/** `lease6 { interface "x"; ia-na ID { iaaddr A { starts N; max-life N; } } option …; }` */
function lease6(block: Statement, warnings: string[]): LeaseServers {
  const v: BlockValues = { iface: '', servers: [], nameDomains: [], searchDomains: [] };
  let expire = 0;
  for (const s of block.block ?? []) {
    const name = s.words[0]?.text;
    if (name === 'interface' && s.words[1] !== undefined) v.iface = s.words[1].text;
    else if (name === 'option') applyOption(v, s, warnings);
    for (const addr of (s.block ?? []).filter((a) => a.block !== undefined && a.words.length >= 2)) {
      const starts = numberIn(addr.block!, 'starts');
      const life = numberIn(addr.block!, 'max-life');
      if (life === INFINITE_LIFETIME) expire = Infinity;
      else if (starts !== undefined && life !== undefined) expire = Math.max(expire, starts + life);
    }
  }
  if (expire > 0 && Number.isFinite(expire)) v.expires = expire * 1000;
  return toLease(6, v);
}

function numberIn(block: readonly Statement[], name: string): number | undefined {
  const s = block.find((x) => x.words[0]?.text === name && x.words.length === 2);
  return s && /^\d+$/.test(s.words[1]!.text) ? Number(s.words[1]!.text) : undefined;
}

/** `domain-name` is one string that may hold several names; `domain-search` a list (RFC 3397). */
function applyOption(v: BlockValues, s: Statement, warnings: string[]): void {
  const name = s.words[1]?.text;
  const values = s.words.slice(2).filter((w) => !(w.text === ',' && !w.quoted));
  const where = `line ${s.line}`;
  if (name === 'domain-name-servers' || name === 'dhcp6.name-servers') {
    v.servers = uniqueEndpoints(values.flatMap((w) => nameserver(w.text, `line ${w.line}`, warnings)));
  } else if (name === 'domain-name' && values[0] !== undefined) {
    v.nameDomains = linkDomains(splitNames(values[0].text), warnings, where);
  } else if (name === 'domain-search' || name === 'dhcp6.domain-search') {
    v.searchDomains = linkDomains(values.map((w) => w.text), warnings, where);
  }
}

/**
 * `W YYYY/MM/DD HH:MM:SS` (UTC), `epoch N` (db-time-format local; a `# …` comment follows) or
 * `never` (→ undefined, like a missing date).
 */
function parseLeaseDate(words: readonly Token[], warnings: string[]): Date | undefined {
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
  // Minutes and seconds out of range roll over within the day, which the check below cannot see
  // (second 60 is let through, as struct tm allows it).
  if (mi > 59 || ss > 60) return undefined;
  const date = new Date(Date.UTC(y, mo - 1, da, hh, mi, ss));
  // Date.UTC rolls a month, day or hour out of range over (2026/02/30 is in March, 24:00 is the
  // next day): the date it lands on is not the one written.
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === da ? date : undefined;
}
