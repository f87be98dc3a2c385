// A message section as RRsets (RFC 2181 §5, RFC 4034 §3): records of one owner, class and type
// together, each with the RRSIGs that cover it (RFC 4035 §2.2: an RRSIG covers the RRset of its
// owner and Type Covered).
import { lowerName, nameEquals } from './names.js';
import { TYPE_RRSIG, type Rr } from './types.js';

export interface RRset {
  /** The owner as it appears in the first record (case kept). */
  readonly owner: Uint8Array;
  readonly type: number;
  readonly class: number;
  readonly records: Rr[];
  /** The RRSIG records of the section whose owner is this set's and whose Type Covered is its type. */
  readonly sigs: Rr[];
}

/** The Type Covered field of an RRSIG's RDATA (RFC 4034 §3.1.1); -1 when too short. */
export function typeCovered(rrsig: Rr): number {
  return rrsig.rdata.length >= 2 ? (rrsig.rdata[0]! << 8) | rrsig.rdata[1]! : -1;
}

/** The section's RRsets in the order their first records appear, RRSIGs attached, not listed as sets. */
export function groupRRsets(section: readonly Rr[]): RRset[] {
  const sets: RRset[] = [];
  const byKey = new Map<string, RRset>();
  const keyOf = (owner: Uint8Array, type: number, cls: number) => `${Buffer.from(lowerName(owner)).toString('latin1')}/${type}/${cls}`;
  for (const rr of section) {
    if (rr.type === TYPE_RRSIG) continue;
    const k = keyOf(rr.owner, rr.type, rr.class);
    let set = byKey.get(k);
    if (!set) {
      set = { owner: rr.owner, type: rr.type, class: rr.class, records: [], sigs: [] };
      byKey.set(k, set);
      sets.push(set);
    }
    set.records.push(rr);
  }
  for (const sig of section) {
    if (sig.type !== TYPE_RRSIG) continue;
    byKey.get(keyOf(sig.owner, typeCovered(sig), sig.class))?.sigs.push(sig);
  }
  return sets;
}

/** The RRset of `owner` and `type` among `sets`, if any. */
export function findRRset(sets: readonly RRset[], owner: Uint8Array, type: number): RRset | undefined {
  return sets.find((s) => s.type === type && nameEquals(s.owner, owner));
}
