// Where the domain names sit inside the RDATA of the types that carry them (RFC 1035 §3.3, RFC 3597
// §4, RFC 4034 §6.2 item 3 as amended by RFC 6840 §5.1): for decompressing and for lower-casing them.
import { lowerAscii } from '../wire/name.js';

/** One RDATA field: a fixed number of octets, a domain name, or a <character-string> (RFC 1035 §3.3). */
export type Field = number | 'name' | 'string';

/** The most octets a wire name may take, root label included (RFC 1035 §3.1). */
export const MAX_NAME = 255;

const NAME: readonly Field[] = ['name'];
const TWO_NAMES: readonly Field[] = ['name', 'name'];
const PREF_NAME: readonly Field[] = [2, 'name'];
const SIG_LAYOUT: readonly Field[] = [18, 'name']; // RFC 4034 §3.1 (RRSIG), RFC 2535 §4.1 (SIG)

/**
 * The fields up to the last name of each type with names in its RDATA; what follows the last name
 * is kept as it is. A6 (38) is not here: its name follows a field of variable length (a6Layout).
 */
const LAYOUTS: ReadonlyMap<number, readonly Field[]> = new Map<number, readonly Field[]>([
  [2, NAME], // NS
  [3, NAME], // MD
  [4, NAME], // MF
  [5, NAME], // CNAME
  [6, TWO_NAMES], // SOA: MNAME, RNAME, then five 32-bit numbers
  [7, NAME], // MB
  [8, NAME], // MG
  [9, NAME], // MR
  [12, NAME], // PTR
  [14, TWO_NAMES], // MINFO
  [15, PREF_NAME], // MX
  [17, TWO_NAMES], // RP (RFC 1183 §2.2)
  [18, PREF_NAME], // AFSDB (RFC 1183 §1)
  [21, PREF_NAME], // RT (RFC 1183 §3.3)
  [24, SIG_LAYOUT], // SIG
  [26, [2, 'name', 'name']], // PX (RFC 2163 §4)
  [30, NAME], // NXT (RFC 2535 §5.2): next name, then the type bitmap
  [33, [6, 'name']], // SRV (RFC 2782): priority, weight, port, target
  [35, [4, 'string', 'string', 'string', 'name']], // NAPTR (RFC 3403 §4.1): replacement last
  [36, PREF_NAME], // KX (RFC 2230 §3.1)
  [39, NAME], // DNAME (RFC 6672 §2.1)
  [46, SIG_LAYOUT], // RRSIG: signer after 18 fixed octets, then the signature
  [47, NAME], // NSEC (RFC 4034 §4.1): next name, then the type bitmap
]);

/**
 * Types whose RDATA names a message may compress (RFC 3597 §4: the RFC 1035 types) and those this
 * decoder decompresses anyway, since some servers compress them (RFC 3597 §4 asks receivers to
 * accept it for RP, AFSDB, RT, PX, SRV, NAPTR; DNAME, RRSIG and NSEC seen in the wild).
 */
const DECOMPRESSED = new Set([2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 17, 18, 21, 26, 33, 35, 39, 46, 47]);

/**
 * Types whose RDATA names are lower-cased in the canonical form: RFC 4034 §6.2 item 3 (HINFO is
 * listed but holds no names) with RFC 6840 §5.1's amendment: NSEC removed, RRSIG kept.
 */
const LOWERED = new Set([2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 17, 18, 21, 24, 26, 30, 33, 35, 36, 38, 39, 46]);

const TYPE_A6 = 38;

/** The layout to follow when decompressing a record of `type`, or null to copy its RDATA as it is. */
export function decompressLayout(type: number): readonly Field[] | null {
  return DECOMPRESSED.has(type) ? LAYOUTS.get(type)! : null;
}

/** The offset just past the uncompressed name at `off`, or -1 if it is not a valid one within `b`. */
export function nameEnd(b: Uint8Array, off: number): number {
  let pos = off;
  while (pos < b.length && pos - off < MAX_NAME) {
    const len = b[pos]!;
    if (len === 0) return pos + 1;
    if (len > 63) return -1; // a pointer or an obsolete label type: not in uncompressed data
    pos += len + 1;
  }
  return -1;
}

/** A6 (RFC 2874 §3.1.1): prefix length, the address suffix's octets, the prefix name if length > 0. */
function a6Layout(rdata: Uint8Array): readonly Field[] | null {
  const prefix = rdata[0];
  if (prefix === undefined || prefix > 128) return null;
  const suffix = Math.ceil((128 - prefix) / 8);
  return prefix === 0 ? [1 + suffix] : [1 + suffix, 'name'];
}

/**
 * `rdata` of `type` as it is in the canonical form (RFC 4034 §6.2 item 3, RFC 6840 §5.1): a copy
 * with its names lower-cased for the listed types, the same bytes for the others; null when a name
 * or field runs past the RDATA.
 */
export function canonicalRdata(type: number, rdata: Uint8Array): Uint8Array | null {
  if (!LOWERED.has(type)) return rdata;
  const layout = type === TYPE_A6 ? a6Layout(rdata) : LAYOUTS.get(type)!;
  if (layout === null) return null;
  const out = Uint8Array.from(rdata);
  let pos = 0;
  for (const field of layout) {
    if (field === 'name') {
      const end = nameEnd(rdata, pos);
      if (end < 0) return null;
      for (let i = pos; i < end; i++) out[i] = lowerAscii(out[i]!);
      pos = end;
    } else {
      pos += field === 'string' ? (rdata[pos] ?? 0) + 1 : field;
      if (pos > rdata.length) return null;
    }
  }
  return out;
}
