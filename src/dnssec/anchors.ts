// Trust anchors (RFC 4033 §2, RFC 4035 §4.4): the root KSKs built in, and a file of DS and DNSKEY
// records in presentation format (RFC 1035 §5.1, RFC 4034 §2.2 and §5.3) that replaces the root's
// anchors when it names the root and adds to them for any other zone. Read once, at start and on
// reload; an error names the file, the line and the reason.
import { lowerName } from './names.js';
import { TYPE_DNSKEY, TYPE_DS, type Rr } from './types.js';
import { nameText, presentationToWire } from '../wire/name.js';

/**
 * The root zone's KSKs as IANA publishes them (https://data.iana.org/root-anchors/root-anchors.xml):
 * KSK-2017 (key tag 20326) and KSK-2024 (38696), both RSASHA256, SHA-256 digests.
 */
export const ROOT_ANCHORS_TEXT = [
  '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D',
  '. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16',
].join('\n');

/** The anchors of one zone: DS records, DNSKEY records (either may be empty, not both). */
export interface ZoneAnchor {
  /** Wire form, lower case. */
  readonly zone: Uint8Array;
  readonly ds: readonly Rr[];
  readonly dnskey: readonly Rr[];
}

/** Anchors by zone, keyed by the zone's presentation name ('' for the root). */
export type AnchorSet = ReadonlyMap<string, ZoneAnchor>;

export type AnchorsResult = { ok: true; anchors: AnchorSet } | { ok: false; line: number; reason: string };

const CLASSES = new Set(['IN']);
const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The anchors `text` holds. Lines are `owner [TTL] [IN] DS|DNSKEY rdata`, in either order of TTL
 * and class; `;` starts a comment; parentheses continue a record over lines (RFC 1035 §5.1), as
 * root.key files write DNSKEYs. Owners are absolute (`.` for the root); `$` directives are refused.
 */
export function parseAnchors(text: string): AnchorsResult {
  const found = new Map<string, { zone: Uint8Array; ds: Rr[]; dnskey: Rr[] }>();
  const records = logicalLines(text);
  if (!records.ok) return records;
  for (const { line, words } of records.lines) {
    const rr = parseRecord(words);
    if (typeof rr === 'string') return { ok: false, line, reason: rr };
    const key = nameText(rr.owner, 0);
    const entry = found.get(key) ?? { zone: rr.owner, ds: [], dnskey: [] };
    (rr.type === TYPE_DS ? entry.ds : entry.dnskey).push(rr);
    found.set(key, entry);
  }
  return { ok: true, anchors: found };
}

/** The built-in root anchors, then `file`'s: a zone the file names replaces the built-in one. */
export function mergeAnchors(builtIn: AnchorSet, file: AnchorSet): AnchorSet {
  const out = new Map(builtIn);
  for (const [k, v] of file) out.set(k, v);
  return out;
}

let builtIn: AnchorSet | undefined;

/** The root anchors dnsfwd ships with. */
export function builtInAnchors(): AnchorSet {
  if (!builtIn) {
    const r = parseAnchors(ROOT_ANCHORS_TEXT);
    if (!r.ok) throw new Error(`built-in trust anchors: line ${r.line}: ${r.reason}`);
    builtIn = r.anchors;
  }
  return builtIn;
}

type Lines = { ok: true; lines: { line: number; words: string[] }[] } | { ok: false; line: number; reason: string };

/** Records as word lists, comments removed and parenthesised continuations joined, each with the line it starts on. */
function logicalLines(text: string): Lines {
  const lines: { line: number; words: string[] }[] = [];
  let open: { line: number; words: string[] } | null = null;
  const rows = text.split(/\r?\n/);
  for (let i = 0; i < rows.length; i++) {
    const body = rows[i]!.replace(/;.*$/, '');
    if (!open && /^\s*\$/.test(body)) return { ok: false, line: i + 1, reason: `directive ${body.trim().split(/\s+/)[0]} is not supported: write each record in full` };
    for (const word of body.replace(/([()])/g, ' $1 ').split(/\s+/).filter(Boolean)) {
      if (word === '(') {
        if (open?.words.includes('(')) return { ok: false, line: i + 1, reason: 'nested parenthesis' };
        open ??= { line: i + 1, words: [] };
        open.words.push('(');
      } else if (word === ')') {
        if (!open?.words.includes('(')) return { ok: false, line: i + 1, reason: 'a closing parenthesis without an opening one' };
        open.words = open.words.filter((w) => w !== '(');
        lines.push(open);
        open = null;
      } else {
        open ??= { line: i + 1, words: [] };
        open.words.push(word);
      }
    }
    if (open && !open.words.includes('(')) {
      lines.push(open);
      open = null;
    }
  }
  const left = open as { line: number } | null; // assigned inside the loop, which narrowing does not follow
  if (left) return { ok: false, line: left.line, reason: 'a parenthesis left open at the end of the file' };
  return { ok: true, lines };
}

/** One DS or DNSKEY record from its words, or why it is not one. */
function parseRecord(words: string[]): Rr | string {
  const [ownerText, ...rest] = words;
  if (!ownerText!.endsWith('.')) return `owner "${ownerText}" must be absolute (end with a dot)`;
  const owner = toWire(ownerText!);
  if (typeof owner === 'string') return owner;
  let ttl = 0;
  let i = 0;
  for (; i < 2 && i < rest.length; i++) {
    const w = rest[i]!;
    if (/^\d+$/.test(w)) ttl = Number(w);
    else if (CLASSES.has(w.toUpperCase())) continue;
    else break;
  }
  const type = (rest[i] ?? '').toUpperCase();
  const fields = rest.slice(i + 1);
  if (type === 'DS') return dsRecord(owner, ttl, fields);
  if (type === 'DNSKEY') return dnskeyRecord(owner, ttl, fields);
  return type ? `type ${rest[i]} is not a trust anchor: only DS and DNSKEY records` : 'a record without a type';
}

function toWire(text: string): Uint8Array | string {
  const name = text === '.' ? '' : text.slice(0, -1);
  if (name.split('.').some((l) => l === '' && name !== '')) return `owner "${text}" has an empty label`;
  const wire = presentationToWire(name);
  if (wire.length > 255) return `owner "${text}" is longer than 255 octets`;
  if (name.split('.').some((l) => l.replace(/\\\d{3}/g, '_').length > 63)) return `owner "${text}" has a label longer than 63 octets`;
  return lowerName(wire);
}

function uint(word: string | undefined, max: number, what: string): number | string {
  if (word === undefined || !/^\d+$/.test(word) || Number(word) > max) return `${what} must be a number 0-${max}, not ${word === undefined ? 'missing' : `"${word}"`}`;
  return Number(word);
}

/** DS RDATA (RFC 4034 §5.3): key tag, algorithm, digest type, the digest in hex (spaces allowed). */
function dsRecord(owner: Uint8Array, ttl: number, f: string[]): Rr | string {
  const tag = uint(f[0], 65535, 'DS key tag');
  const alg = uint(f[1], 255, 'DS algorithm');
  const digestType = uint(f[2], 255, 'DS digest type');
  for (const v of [tag, alg, digestType]) if (typeof v === 'string') return v;
  const hex = f.slice(3).join('');
  if (!hex || !HEX.test(hex) || hex.length % 2) return 'DS digest must be an even number of hex digits';
  const digest = Buffer.from(hex, 'hex');
  const rdata = new Uint8Array(4 + digest.length);
  rdata.set([(tag as number) >> 8, (tag as number) & 0xff, alg as number, digestType as number]);
  rdata.set(digest, 4);
  return { owner, type: TYPE_DS, class: 1, ttl, rdata };
}

/** DNSKEY RDATA (RFC 4034 §2.2): flags, protocol 3, algorithm, the key in base64 (spaces allowed). */
function dnskeyRecord(owner: Uint8Array, ttl: number, f: string[]): Rr | string {
  const flags = uint(f[0], 65535, 'DNSKEY flags');
  const protocol = uint(f[1], 255, 'DNSKEY protocol');
  const alg = uint(f[2], 255, 'DNSKEY algorithm');
  for (const v of [flags, protocol, alg]) if (typeof v === 'string') return v;
  if (protocol !== 3) return `DNSKEY protocol must be 3 (RFC 4034 §2.1.2), not ${protocol}`;
  if (((flags as number) & 0x0100) === 0) return 'DNSKEY flags lack the Zone Key bit (256): not a key a zone signs with (RFC 4034 §2.1.1)';
  const b64 = f.slice(3).join('');
  if (!b64 || !BASE64.test(b64) || b64.length % 4) return 'DNSKEY public key must be base64';
  const key = Buffer.from(b64, 'base64');
  const rdata = new Uint8Array(4 + key.length);
  rdata.set([(flags as number) >> 8, (flags as number) & 0xff, 3, alg as number]);
  rdata.set(key, 4);
  return { owner, type: TYPE_DNSKEY, class: 1, ttl, rdata };
}
