// What the NSEC (nsec.ts) and NSEC3 (nsec3.ts) proofs share: the question they are asked about,
// the verdict they give, and the checks on a denial record's type bit map (RFC 6840 §4.1, §4.3).
import { hasType, type TypeBitmap } from './bitmap.js';
import { isWildcard, labelCount } from './names.js';
import { TYPE_DS, TYPE_NS } from './types.js';
import { TYPE_CNAME, TYPE_DNAME, TYPE_SOA } from '../wire/records.js';

/** The negative answer to check. Names are wire format, uncompressed, any case. */
export interface DenialQuestion {
  /** The zone the NSEC/NSEC3 records belong to: the Signer's Name of their verified RRSIGs. */
  readonly zone: Uint8Array;
  readonly qname: Uint8Array;
  readonly qtype: number;
}

/**
 * The verdict on a denial proof. 'proven': the records prove it (the answer can be secure).
 * 'insecure': the records are the zone's, but cannot make the answer secure (an opt-out span, RFC
 * 5155 §9.2; too many NSEC3 iterations, RFC 9276 §3.2). 'bogus': the proof fails; `why` is a short
 * phrase for a debug log line.
 */
export type DenialResult =
  | { readonly result: 'proven' }
  | { readonly result: 'insecure'; readonly why: 'opt-out' | 'iterations' }
  | { readonly result: 'bogus'; readonly why: string };

export const PROVEN: DenialResult = { result: 'proven' };

export function bogus(why: string): DenialResult {
  return { result: 'bogus', why };
}

export function insecure(why: 'opt-out' | 'iterations'): DenialResult {
  return { result: 'insecure', why };
}

/**
 * Whether `name` is a valid uncompressed wire name filling `b` from `off` up to its root label:
 * labels of 1..63 octets, 255 octets at most (RFC 1035 §3.1). Returns the offset past it or -1.
 */
export function nameEnd(b: Uint8Array, off: number): number {
  let pos = off;
  while (pos < b.length && pos - off < 255) {
    const len = b[pos]!;
    if (len === 0) return pos + 1 - off <= 255 ? pos + 1 : -1;
    if (len > 63) return -1;
    pos += len + 1;
  }
  return -1;
}

/** Whether `name` is exactly one valid wire name. */
export function isWireName(name: Uint8Array): boolean {
  return nameEnd(name, 0) === name.length;
}

/**
 * RFC 6840 §4.1: a record whose owner is a delegation point (NS without SOA: the parent side of a
 * zone cut) or has a DNAME MUST NOT be used to deny names below its owner; those names are not
 * the zone's to deny. True when the record's map makes it unusable below its owner.
 */
export function deniesNothingBelow(map: TypeBitmap): boolean {
  return (hasType(map, TYPE_NS) && !hasType(map, TYPE_SOA)) || hasType(map, TYPE_DNAME);
}

/**
 * The type bit map of a record that matches qname, checked for a NODATA answer to `qtype`:
 * null when it proves qtype absent, else why not.
 * - RFC 4035 §5.4, RFC 6840 §4.3: neither qtype nor CNAME may be set (else a CNAME answer could
 *   be turned into NODATA).
 * - qtype DS (RFC 4035 §5.2, RFC 6840 §4.4, RFC 5155 §8.6): the record must be the parent side of
 *   a delegation: NS set (there is a delegation to be insecure), SOA clear (the child zone's apex
 *   record cannot speak for the parent's DS).
 * - other types: a delegation point's record (NS without SOA) comes from the parent side; the
 *   types at that name live in the child zone, so it proves nothing for them (RFC 6840 §4.1).
 */
export function nodataMapProblem(map: TypeBitmap, qtype: number): string | null {
  if (hasType(map, qtype)) return 'the record at qname lists qtype';
  if (hasType(map, TYPE_CNAME)) return 'the record at qname lists CNAME';
  const ns = hasType(map, TYPE_NS);
  const soa = hasType(map, TYPE_SOA);
  if (qtype === TYPE_DS) {
    if (soa) return 'the record at qname is the child apex, not the parent side';
    if (!ns) return 'the record at qname has no NS: not a delegation';
  } else if (ns && !soa) {
    return 'the record at qname is the parent side of a delegation';
  }
  return null;
}

/** `*.name` in wire format. */
export function wildcardAt(name: Uint8Array): Uint8Array {
  const out = new Uint8Array(name.length + 2);
  out[0] = 1;
  out[1] = 0x2a;
  out.set(name, 2);
  return out;
}

/**
 * What the RRSIG Labels field says of the answer (RFC 4035 §5.3.2): 'expanded' when it is fewer
 * than qname's labels and the wildcard's encloser is within the zone; PROVEN when qname is the
 * wildcard itself (`*` is not counted, so there is nothing to deny); bogus otherwise.
 */
export function wildcardShape(q: DenialQuestion, rrsigLabels: number): DenialResult | 'expanded' {
  const n = labelCount(q.qname);
  if (!Number.isInteger(rrsigLabels)) return bogus('the RRSIG labels count is not a number');
  if (rrsigLabels > n) return bogus('the RRSIG labels count exceeds qname');
  if (rrsigLabels === n) return bogus('the RRSIG labels count shows no wildcard expansion');
  if (rrsigLabels === n - 1 && isWildcard(q.qname)) return PROVEN;
  if (rrsigLabels < labelCount(q.zone)) return bogus('the wildcard is above the zone');
  return 'expanded';
}
