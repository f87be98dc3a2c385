// Authenticated denial of existence with NSEC (RFC 4035 §5.4, RFC 4034 §4, RFC 6840 §4.1, §4.3,
// RFC 4592): whether NSEC records whose RRSIGs are already verified prove NXDOMAIN, NODATA, or
// that a wildcard answer was the right one (RFC 4035 §5.3.4).
import { parseBitmap, type TypeBitmap } from './bitmap.js';
import {
  bogus,
  deniesNothingBelow,
  type DenialQuestion,
  type DenialResult,
  isWireName,
  nameEnd,
  nodataMapProblem,
  PROVEN,
  wildcardAt,
  wildcardShape,
} from './denial.js';
import { compareNames, isSubdomain, labelCount, nameEquals, parentName, stripLabels } from './names.js';
import { type Rr, TYPE_DS, TYPE_NSEC } from './types.js';

/** One NSEC record, decoded: owner, Next Domain Name, type bit map (RFC 4034 §4.1). */
export interface Nsec {
  readonly owner: Uint8Array;
  readonly next: Uint8Array;
  readonly map: TypeBitmap;
}

/** The NSEC RDATA (RFC 4034 §4.1): an uncompressed next name, then the type bit map; null if malformed. */
export function parseNsecRdata(rdata: Uint8Array): { next: Uint8Array; map: TypeBitmap } | null {
  const end = nameEnd(rdata, 0);
  if (end < 0) return null;
  const map = parseBitmap(rdata.subarray(end));
  return map === null ? null : { next: rdata.subarray(0, end), map };
}

/**
 * The zone's NSEC records among `records` (other types and other zones' NSECs are left out), or
 * why the set is bogus: a malformed record, or a next name outside the zone (RFC 4034 §4.1.1:
 * the last NSEC's next name is the apex).
 */
function zoneNsecs(q: DenialQuestion, records: readonly Rr[]): Nsec[] | string {
  if (!isWireName(q.zone) || !isWireName(q.qname)) return 'malformed zone or qname';
  if (!isSubdomain(q.qname, q.zone)) return 'qname is not in the zone';
  const out: Nsec[] = [];
  for (const r of records) {
    if (r.type !== TYPE_NSEC) continue;
    if (!isWireName(r.owner)) return 'malformed NSEC owner name';
    if (!isSubdomain(r.owner, q.zone)) continue;
    const rd = parseNsecRdata(r.rdata);
    if (rd === null) return 'malformed NSEC RDATA';
    if (!isSubdomain(rd.next, q.zone)) return 'NSEC next name outside the zone';
    out.push({ owner: r.owner, ...rd });
  }
  return out;
}

/**
 * Whether `n` covers `name` (RFC 4035 §5.4): owner < name < next in canonical order (RFC 4034
 * §6.1), or, for the zone's last NSEC, whose next name is the apex (RFC 4034 §4.1.1), any name
 * after the owner.
 */
function covers(n: Nsec, name: Uint8Array, zone: Uint8Array): boolean {
  if (compareNames(n.owner, name) >= 0) return false;
  if (compareNames(name, n.next) < 0) return true;
  return compareNames(n.next, n.owner) <= 0 && nameEquals(n.next, zone);
}

/** RFC 6840 §4.1: `n` may not deny names below its owner if the owner is a delegation or a DNAME. */
function usableFor(n: Nsec, name: Uint8Array): boolean {
  return nameEquals(n.owner, name) || !isSubdomain(name, n.owner) || !deniesNothingBelow(n.map);
}

/** A usable NSEC covering `name`, or why there is none. */
function covering(set: readonly Nsec[], name: Uint8Array, zone: Uint8Array, what: string): Nsec | string {
  const all = set.filter((n) => covers(n, name, zone));
  const usable = all.find((n) => usableFor(n, name));
  if (usable) return usable;
  return all.length > 0 ? `the NSEC covering ${what} is from above a delegation or DNAME` : `no NSEC covers ${what}`;
}

/** The longest common ancestor of two names (both valid, under the same zone). A view of `a`. */
function commonAncestor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const la = labelCount(a);
  const lb = labelCount(b);
  let x = stripLabels(a, Math.max(0, la - lb));
  let y = stripLabels(b, Math.max(0, lb - la));
  while (!nameEquals(x, y)) {
    x = parentName(x);
    y = parentName(y);
  }
  return x;
}

/**
 * The closest encloser of `qname` that NSEC `n` (which covers qname) shows (RFC 4035 §5.4, RFC
 * 7129 §5.5): the owner exists and so do its ancestors; the next name exists and so do its
 * ancestors (empty non-terminals); every other ancestor of qname would sort between owner and
 * qname and so does not exist. The deeper of the two common ancestors.
 */
export function nsecClosestEncloser(qname: Uint8Array, n: Nsec): Uint8Array {
  const fromOwner = commonAncestor(qname, n.owner);
  const fromNext = commonAncestor(qname, n.next);
  return labelCount(fromNext) > labelCount(fromOwner) ? fromNext : fromOwner;
}

/** Why `qname` exists according to `set`, or null: an NSEC at qname, or one at or to a name below it. */
function existsWhy(set: readonly Nsec[], qname: Uint8Array): string | null {
  for (const n of set) {
    if (nameEquals(n.owner, qname)) return 'an NSEC at qname shows it exists';
    const below = (x: Uint8Array): boolean => isSubdomain(x, qname) && !nameEquals(x, qname);
    if (below(n.owner) || below(n.next)) return 'qname is an empty non-terminal: a name below it exists';
  }
  return null;
}

/** The NSEC covering qname and the closest encloser it shows, or why not. */
function qnameGone(set: readonly Nsec[], q: DenialQuestion): { cover: Nsec; ce: Uint8Array } | string {
  const exists = existsWhy(set, q.qname);
  if (exists !== null) return exists;
  const cover = covering(set, q.qname, q.zone, 'qname');
  return typeof cover === 'string' ? cover : { cover, ce: nsecClosestEncloser(q.qname, cover) };
}

/**
 * NXDOMAIN (RFC 4035 §5.4): an NSEC covers qname, and an NSEC covers the wildcard `*.CE` at the
 * closest encloser those records show (the same record may do both). An NSEC at `*.CE` means the
 * wildcard exists and the answer should have been synthesised from it.
 */
export function nsecNxdomain(q: DenialQuestion, records: readonly Rr[]): DenialResult {
  const set = zoneNsecs(q, records);
  if (typeof set === 'string') return bogus(set);
  const gone = qnameGone(set, q);
  if (typeof gone === 'string') return bogus(gone);
  const wildcard = wildcardAt(gone.ce);
  if (set.some((n) => nameEquals(n.owner, wildcard))) return bogus('the wildcard at the closest encloser exists');
  const wild = covering(set, wildcard, q.zone, 'the wildcard');
  return typeof wild === 'string' ? bogus(wild) : PROVEN;
}

/**
 * NODATA (RFC 4035 §5.4, RFC 6840 §4.3, §4.4): an NSEC at qname without qtype or CNAME (for DS,
 * the parent side of a delegation; see nodataMapProblem); else qname an empty non-terminal (an
 * NSEC covers it and its next name is below qname); else a wildcard NODATA: an NSEC covers qname
 * and the NSEC at `*.CE` lists neither qtype nor CNAME (RFC 4592 §4.1).
 */
export function nsecNodata(q: DenialQuestion, records: readonly Rr[]): DenialResult {
  const set = zoneNsecs(q, records);
  if (typeof set === 'string') return bogus(set);
  const match = set.find((n) => nameEquals(n.owner, q.qname));
  if (match) return mapVerdict(match.map, q.qtype, '');
  const ent = set.find((n) => covers(n, q.qname, q.zone) && usableFor(n, q.qname) && isSubdomain(n.next, q.qname));
  if (ent) return q.qtype === TYPE_DS ? bogus('qname is an empty non-terminal, not a delegation') : PROVEN;
  const gone = qnameGone(set, q);
  if (typeof gone === 'string') return bogus(`no NSEC at qname, and ${gone}`);
  const wildcard = wildcardAt(gone.ce);
  const wild = set.find((n) => nameEquals(n.owner, wildcard));
  if (!wild) return bogus('no NSEC at qname or at the wildcard of its closest encloser');
  return mapVerdict(wild.map, q.qtype, 'wildcard: ');
}

function mapVerdict(map: TypeBitmap, qtype: number, prefix: string): DenialResult {
  const problem = nodataMapProblem(map, qtype);
  return problem === null ? PROVEN : bogus(prefix + problem);
}

/**
 * A positive answer synthesised from a wildcard (RFC 4035 §5.3.4, RFC 4592): the answer's RRSIG
 * Labels field (`rrsigLabels`, RFC 4034 §3.1.3) names the wildcard's closest encloser, qname
 * stripped to that many labels. An NSEC must prove qname does not exist, and the closest encloser
 * it shows must be that one: a closer existing name would have stopped the wildcard.
 */
export function nsecWildcardAnswer(q: DenialQuestion, rrsigLabels: number, records: readonly Rr[]): DenialResult {
  const set = zoneNsecs(q, records);
  if (typeof set === 'string') return bogus(set);
  const shape = wildcardShape(q, rrsigLabels);
  if (shape !== 'expanded') return shape;
  const ce = stripLabels(q.qname, labelCount(q.qname) - rrsigLabels);
  const gone = qnameGone(set, q);
  if (typeof gone === 'string') return bogus(gone);
  if (!nameEquals(gone.ce, ce)) return bogus("the NSEC shows a closest encloser other than the wildcard's");
  return PROVEN;
}
