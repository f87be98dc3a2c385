// IP addresses and prefixes as numbers, for deciding about clients: parsing (an IPv4-mapped IPv6
// address, `::ffff:a.b.c.d`, is the IPv4 address it maps), the prefix an address falls in (the
// networks of access entries, the /24 or /56 a rate limit counts), containment and overlap, and the
// canonical text of a prefix (RFC 5952 for IPv6). Used off the hot path: the decisions are cached.
import { isIP } from 'node:net';
import type { ParseResult } from '../address.js';

export interface Ip {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** A network: the address with its host bits clear, and the prefix length. */
export interface Prefix {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly length: number;
  /** The network bits of the family's width set, the host bits clear. */
  readonly mask: bigint;
}

const WIDTH = { 4: 32, 6: 128 } as const;
const LOW32 = 0xffffffffn;
/** The upper 96 bits of an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2). */
const MAPPED_HIGH = 0xffffn;

/** The address in `text` (a zone index, `%eth0`, ignored), IPv4-mapped as IPv4; null if it is none. */
export function parseIp(text: string): Ip | null {
  const pct = text.indexOf('%');
  const s = pct < 0 ? text : text.slice(0, pct);
  const family = isIP(s);
  if (family === 4) return { family: 4, value: v4Value(s) };
  if (family !== 6) return null;
  const value = v6Value(s);
  return value >> 32n === MAPPED_HIGH ? { family: 4, value: value & LOW32 } : { family: 6, value };
}

function v4Value(s: string): bigint {
  return s.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** The 16-bit groups of a valid IPv6 literal (isIP said so), a dotted IPv4 tail as two groups. */
function v6Value(s: string): bigint {
  const groups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [parseInt(g, 16)];
          const v = Number(v4Value(g));
          return [Math.floor(v / 65536), v % 65536];
        });
  const gap = s.indexOf('::');
  const head = groups(gap < 0 ? s : s.slice(0, gap));
  const tail = gap < 0 ? [] : groups(s.slice(gap + 2));
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function maskOf(family: 4 | 6, length: number): bigint {
  const width = BigInt(WIDTH[family]);
  const len = BigInt(length);
  return ((1n << len) - 1n) << (width - len);
}

/** The prefix of `length` bits that `ip` falls in. */
export function prefixOf(ip: Ip, length: number): Prefix {
  const mask = maskOf(ip.family, length);
  return { family: ip.family, network: ip.value & mask, length, mask };
}

export function contains(p: Prefix, ip: Ip): boolean {
  return p.family === ip.family && (ip.value & p.mask) === p.network;
}

/** True when some address is in both (one contains the other). */
export function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const wider = a.length <= b.length ? a : b;
  return ((a.network ^ b.network) & wider.mask) === 0n;
}

/**
 * `ADDR/LEN` (or `ADDR`: the one address). An IPv4-mapped IPv6 prefix of 96 bits or more is the
 * IPv4 prefix it maps, as client addresses are. Host bits set are an error when `hostBits` is
 * 'reject' (an `access:` entry: `10.0.0.1/8` is more likely a typo than a network) and are cleared
 * when it is 'clear' (an interface's `cidr`, which is its address and the prefix length).
 */
export function parsePrefix(text: string, hostBits: 'reject' | 'clear'): ParseResult<Prefix> {
  const bad = (why: string): ParseResult<Prefix> => ({ ok: false, reason: `"${text}": ${why}` });
  const parts = text.trim().split('/');
  if (parts.length > 2) return bad('expected ADDR/LEN');
  const [addr, lenText] = parts as [string, string | undefined];
  if (addr.includes('%')) return bad('a zone index (%) is not allowed');
  const family = isIP(addr);
  if (family === 0) return bad('not an IP address (expected ADDR/LEN, e.g. 192.168.0.0/16 or fd00::/8)');
  const width = WIDTH[family as 4 | 6];
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) return bad(`the prefix length must be a number from 0 to ${width}`);
  let length = lenText === undefined ? width : Number(lenText);
  if (length > width) return bad(`the prefix length must be a number from 0 to ${width}`);
  let ip: Ip = family === 4 ? { family: 4, value: v4Value(addr) } : { family: 6, value: v6Value(addr) };
  // An IPv4 value is below 2^32: only an IPv6 one can have ::ffff above its low 32 bits.
  if (ip.value >> 32n === MAPPED_HIGH && length >= 96) {
    ip = { family: 4, value: ip.value & LOW32 };
    length -= 96;
  }
  const p = prefixOf(ip, length);
  if (p.network !== ip.value && hostBits === 'reject') return bad(`host bits are set (the network is ${formatPrefix(p)})`);
  return { ok: true, value: p };
}

/** `192.168.0.0/16`, `fd00::/8`: the canonical text, the same for every spelling of a prefix. */
export function formatPrefix(p: Prefix): string {
  return `${formatIp({ family: p.family, value: p.network })}/${p.length}`;
}

export function formatIp(ip: Ip): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952 §4.2: the longest run of two or more zero groups (the first of equals) becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (groups[j] === 0) j++; // past the last group: undefined
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  return best < 0 ? hex(groups) : `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}
