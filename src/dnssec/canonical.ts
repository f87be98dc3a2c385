// The data an RRSIG signs (RFC 4034 §3.1.8.1): the RRSIG RDATA without its signature, then the RRset
// in canonical form (RFC 4034 §6.2) and canonical order (RFC 4034 §6.3).
import { labelCount, lowerName, nameEquals, stripLabels } from './names.js';
import { canonicalRdata, nameEnd } from './rdata-names.js';
import type { Rr } from './types.js';

/** RRSIG RDATA offsets (RFC 4034 §3.1): Type Covered, Labels, Original TTL, the Signer's Name. */
const RRSIG_TYPE_COVERED = 0;
const RRSIG_LABELS = 3;
const RRSIG_ORIGINAL_TTL = 4;
const RRSIG_SIGNER = 18;

/** The owner name a signature covers (RFC 4035 §5.3.2): lower case, and `*.` + the last `labels` labels when the owner has more. */
function signedOwner(owner: Uint8Array, labels: number): Uint8Array | null {
  const count = labelCount(owner);
  if (labels > count) return null;
  const lower = lowerName(owner);
  if (labels === count) return lower;
  const suffix = stripLabels(lower, count - labels);
  const out = new Uint8Array(2 + suffix.length);
  out[0] = 1;
  out[1] = 0x2a; // '*'
  out.set(suffix, 2);
  return out;
}

/** Negative, 0 or positive as `a` sorts before, with or after `b` (RFC 4034 §6.3: octet strings, a prefix first). */
export function compareRdata(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** One RR's fixed fields after the owner, with `ttl` in place of its own (RFC 4034 §6.2 item 5). */
function fixedFields(rr: Rr, ttl: number, rdlength: number): Uint8Array {
  const out = new Uint8Array(10);
  const view = new DataView(out.buffer);
  view.setUint16(0, rr.type);
  view.setUint16(2, rr.class);
  view.setUint32(4, ttl);
  view.setUint16(8, rdlength);
  return out;
}

/** The RRSIG RDATA up to its signature, the signer lower-cased (RFC 4034 §3.1.8.1, RFC 6840 §5.1); null if malformed. */
function rrsigPrefix(rrsigRdata: Uint8Array): Uint8Array | null {
  const end = nameEnd(rrsigRdata, RRSIG_SIGNER);
  if (end < 0) return null;
  const out = rrsigRdata.slice(0, end);
  out.set(lowerName(out.subarray(RRSIG_SIGNER)), RRSIG_SIGNER);
  return out;
}

/**
 * The octets the signature in `rrsigRdata` signs over `rrset` (RFC 4034 §3.1.8.1): the RRSIG RDATA
 * without the signature, then each RR in canonical form (RFC 4034 §6.2, owner per RFC 4035 §5.3.2,
 * TTL the Original TTL), duplicates removed and sorted by canonical RDATA (RFC 4034 §6.3). Null when
 * the RRSIG RDATA is malformed, the set is empty, its RRs differ in owner, type or class, its type is
 * not the Type Covered, the Labels field exceeds the owner's labels, or an RDATA name is malformed.
 */
export function signedData(rrsigRdata: Uint8Array, rrset: readonly Rr[]): Uint8Array | null {
  const prefix = rrsigPrefix(rrsigRdata);
  const first = rrset[0];
  if (prefix === null || first === undefined) return null;
  const view = new DataView(rrsigRdata.buffer, rrsigRdata.byteOffset, rrsigRdata.byteLength);
  if (view.getUint16(RRSIG_TYPE_COVERED) !== first.type) return null;
  if (rrset.some((rr) => rr.type !== first.type || rr.class !== first.class || !nameEquals(rr.owner, first.owner))) return null;
  const owner = signedOwner(first.owner, rrsigRdata[RRSIG_LABELS]!);
  if (owner === null) return null;
  const rdatas: Uint8Array[] = [];
  for (const rr of rrset) {
    const rdata = canonicalRdata(rr.type, rr.rdata);
    if (rdata === null || rdata.length > 0xffff) return null;
    rdatas.push(rdata);
  }
  rdatas.sort(compareRdata);
  const unique = rdatas.filter((r, i) => i === 0 || compareRdata(r, rdatas[i - 1]!) !== 0);
  const ttl = view.getUint32(RRSIG_ORIGINAL_TTL);
  const parts: Uint8Array[] = [prefix];
  for (const rdata of unique) parts.push(owner, fixedFields(first, ttl, rdata.length), rdata);
  return Buffer.concat(parts);
}
