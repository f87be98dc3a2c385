// Reads records in presentation format as ldns-signzone writes them (RFC 1035 §5.1: one RR a line,
// absolute names, TTL and class present) into the Rr objects validation works on, RDATA by hand.
import type { Rr } from '../../src/dnssec/types.js';

const TYPES: Readonly<Record<string, number>> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, DNAME: 39,
  DS: 43, RRSIG: 46, NSEC: 47, DNSKEY: 48, NSEC3: 50, NSEC3PARAM: 51,
};

export function typeCode(text: string): number {
  const upper = text.toUpperCase();
  const n = TYPES[upper] ?? (/^TYPE\d+$/.test(upper) ? Number(upper.slice(4)) : undefined);
  if (n === undefined) throw new Error(`unknown type ${text}`);
  return n;
}

interface Token {
  readonly text: string;
  readonly quoted: boolean;
}

/** The line's tokens: quoted strings (escapes kept) and words; a `;` comment and parentheses dropped. */
function tokens(line: string): Token[] {
  const out: Token[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|((?:[^\s"\\;()]|\\.)+)|;.*|[()]/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    if (m[1] !== undefined) out.push({ text: m[1], quoted: true });
    else if (m[2] !== undefined) out.push({ text: m[2], quoted: false });
  }
  return out;
}

/** The octets of `text` with RFC 1035 §5.1 escapes (`\DDD`, `\X`) resolved. */
function unescape(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') out.push(text.charCodeAt(i));
    else if (/^\d{3}$/.test(text.slice(i + 1, i + 4))) {
      out.push(Number(text.slice(i + 1, i + 4)));
      i += 3;
    } else out.push(text.charCodeAt(++i));
  }
  return out;
}

/** An absolute presentation name (`example.`, `.`) in wire format, case kept. */
export function wireName(text: string): Uint8Array {
  if (!text.endsWith('.')) throw new Error(`not an absolute name: ${text}`);
  if (text === '.') return Uint8Array.of(0);
  const bytes: number[] = [];
  for (const label of text.slice(0, -1).match(/(?:[^.\\]|\\.)+/g) ?? []) {
    const octets = unescape(label);
    bytes.push(octets.length, ...octets);
  }
  bytes.push(0);
  return Uint8Array.from(bytes);
}

const u8 = (n: number): number[] => [n & 0xff];
const u16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** RRSIG times (RFC 4034 §3.2): YYYYMMDDHHmmSS, or a number of seconds. */
function time(text: string): number[] {
  const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(text);
  if (!m) return u32(Number(text));
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return u32((Date.UTC(y, mo - 1, d, h, mi, s) / 1000) % 2 ** 32);
}

/** The type bitmap of NSEC and NSEC3 (RFC 4034 §4.1.2): windows of up to 32 octets. */
function typeBitmap(words: readonly string[]): number[] {
  const windows = new Map<number, number[]>();
  for (const t of words.map(typeCode)) {
    const bits = windows.get(t >> 8) ?? [];
    const octet = (t & 0xff) >> 3;
    while (bits.length <= octet) bits.push(0);
    bits[octet]! |= 0x80 >> (t & 7);
    windows.set(t >> 8, bits);
  }
  return [...windows.keys()].sort((a, b) => a - b).flatMap((w) => [w, windows.get(w)!.length, ...windows.get(w)!]);
}

function base32hex(text: string): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of text.toUpperCase()) {
    acc = (acc << 5) | '0123456789ABCDEFGHIJKLMNOPQRSTUV'.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

function ipv6(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap(u16);
}

/** Buffer's decoders skip what they do not understand: check the text first. */
function strict(text: string, re: RegExp, encoding: 'hex' | 'base64'): number[] {
  if (!re.test(text)) throw new Error(`not ${encoding}: ${text}`);
  return [...Buffer.from(text, encoding)];
}
const hex = (text: string): number[] => (text === '-' ? [] : strict(text, /^(?:[0-9a-fA-F]{2})*$/, 'hex'));
const base64 = (words: readonly string[]): number[] => strict(words.join(''), /^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const name = (text: string): number[] => [...wireName(text)];
const salt = (text: string): number[] => [hex(text).length, ...hex(text)];
const charString = (t: Token): number[] => [unescape(t.text).length, ...unescape(t.text)];

/** RDATA of `type` from its presentation fields. */
function rdata(type: number, f: readonly Token[]): number[] {
  const w = f.map((t) => t.text);
  if (w[0] === '\\#') return hex(w.slice(2).join('')); // RFC 3597 §5
  switch (type) {
    case 1: return w[0]!.split('.').map(Number);
    case 2: case 5: case 12: case 39: return name(w[0]!);
    case 6: return [...name(w[0]!), ...name(w[1]!), ...w.slice(2, 7).flatMap((n) => u32(Number(n)))];
    case 15: return [...u16(Number(w[0])), ...name(w[1]!)];
    case 16: return f.flatMap(charString);
    case 28: return ipv6(w[0]!);
    case 33: return [...u16(Number(w[0])), ...u16(Number(w[1])), ...u16(Number(w[2])), ...name(w[3]!)];
    case 43: return [...u16(Number(w[0])), ...u8(Number(w[1])), ...u8(Number(w[2])), ...hex(w.slice(3).join(''))];
    case 46: return [...u16(typeCode(w[0]!)), ...u8(Number(w[1])), ...u8(Number(w[2])), ...u32(Number(w[3])),
      ...time(w[4]!), ...time(w[5]!), ...u16(Number(w[6])), ...name(w[7]!), ...base64(w.slice(8))];
    case 47: return [...name(w[0]!), ...typeBitmap(w.slice(1))];
    case 48: return [...u16(Number(w[0])), ...u8(Number(w[1])), ...u8(Number(w[2])), ...base64(w.slice(3))];
    case 50: {
      const next = base32hex(w[4]!);
      return [...u8(Number(w[0])), ...u8(Number(w[1])), ...u16(Number(w[2])), ...salt(w[3]!), next.length, ...next, ...typeBitmap(w.slice(5))];
    }
    case 51: return [...u8(Number(w[0])), ...u8(Number(w[1])), ...u16(Number(w[2])), ...salt(w[3]!)];
    default: throw new Error(`no presentation parser for type ${type}: use \\# (RFC 3597)`);
  }
}

const CLASSES: Readonly<Record<string, number>> = { IN: 1, CH: 3, HS: 4 };

/** One record line: owner, TTL, class, type, RDATA. */
export function parseRr(line: string): Rr {
  const t = tokens(line);
  const [owner, ttl, cls, type] = t.map((x) => x.text);
  if (type === undefined || !/^\d+$/.test(ttl!)) throw new Error(`not owner TTL class type RDATA: ${line}`);
  const code = typeCode(type);
  const klass = CLASSES[cls!.toUpperCase()] ?? (/^CLASS\d+$/i.test(cls!) ? Number(cls!.slice(5)) : undefined);
  if (klass === undefined) throw new Error(`unknown class ${cls}`);
  return { owner: wireName(owner!), type: code, class: klass, ttl: Number(ttl), rdata: Uint8Array.from(rdata(code, t.slice(4))) };
}

/** Every record in `text`, blank lines, comments and `$` directives skipped. */
export function parseZone(text: string): Rr[] {
  return text
    .split('\n')
    .filter((line) => tokens(line).length > 0 && !line.startsWith('$'))
    .map(parseRr);
}
