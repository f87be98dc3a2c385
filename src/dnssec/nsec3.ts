// Authenticated denial of existence with NSEC3 (RFC 5155 §8, RFC 9276): whether NSEC3 records
// whose RRSIGs are already verified prove NXDOMAIN, NODATA (DS included, with Opt-Out), wildcard
// NODATA, or that a wildcard answer was the right one.
import {
  bogus,
  type DenialQuestion,
  type DenialResult,
  deniesNothingBelow,
  insecure,
  isWireName,
  nodataMapProblem,
  PROVEN,
  wildcardAt,
  wildcardShape,
} from './denial.js';
import { isSubdomain, labelCount, nameEquals, parentName, stripLabels } from './names.js';
import { chainHash, coveringRecord, isOptOut, matching, type Nsec3, type Nsec3Chain, zoneNsec3s } from './nsec3-chain.js';
import { type Rr, TYPE_DS } from './types.js';

export { base32hexDecode, base32hexEncode, nsec3Hash } from './nsec3-hash.js';
export { parseNsec3Rdata, type Nsec3Rdata } from './nsec3-chain.js';

/**
 * The highest NSEC3 iteration count proofs are computed for. RFC 9276 §3.2 lets a validator treat
 * responses with more iterations as insecure. 150 is what Unbound 1.17 (Debian 12) does by default:
 * its val-nsec3-keysize-iterations is "1024 150 2048 150 4096 150" (150 for every key size since
 * Unbound 1.13.2), and a message whose NSEC3 records have a higher count is marked insecure
 * instead of hashed. The proofs below do the same: more than this many → 'insecure', 'iterations'.
 */
export const NSEC3_MAX_ITERATIONS = 150;

export interface Nsec3Options {
  /** The iteration cap (default NSEC3_MAX_ITERATIONS); counts above it give 'insecure'. */
  readonly maxIterations?: number;
}

/** The zone's chain, or the verdict when there is nothing to compute (bogus set, iterations above the cap). */
function chainFor(q: DenialQuestion, records: readonly Rr[], o: Nsec3Options): Nsec3Chain | DenialResult {
  if (!isWireName(q.zone) || !isWireName(q.qname)) return bogus('malformed zone or qname');
  if (!isSubdomain(q.qname, q.zone)) return bogus('qname is not in the zone');
  const chain = zoneNsec3s(q.zone, records);
  if (typeof chain === 'string') return bogus(chain);
  if (chain.iterations > (o.maxIterations ?? NSEC3_MAX_ITERATIONS)) return insecure('iterations');
  return chain;
}

function isChain(x: Nsec3Chain | DenialResult): x is Nsec3Chain {
  return 'records' in x;
}

/** A closest encloser proof (RFC 5155 §8.3): the closest encloser, the next closer name, and its cover. */
interface ClosestEncloser {
  readonly ce: Uint8Array;
  readonly nextCloser: Uint8Array;
  readonly nextCloserCover: Nsec3;
}

/**
 * RFC 5155 §8.3: the longest ancestor X of qname (qname itself excluded) that an NSEC3 matches,
 * with the name one label longer covered; a matching ancestor whose child is not covered makes
 * the proof bogus. The record at X must be of this zone: no DNAME, NS only with SOA (§8.3, RFC
 * 6840 §4.1). Returns why not when the proof fails.
 */
function closestEncloser(chain: Nsec3Chain, q: DenialQuestion): ClosestEncloser | string {
  if (matching(chain, chainHash(chain, q.qname))) return 'an NSEC3 matches qname: it exists';
  let child = q.qname;
  while (!nameEquals(child, q.zone)) {
    const sname = parentName(child);
    const match = matching(chain, chainHash(chain, sname));
    if (match) {
      const cover = coveringRecord(chain, chainHash(chain, child));
      if (!cover) return 'no NSEC3 covers the next closer name';
      if (deniesNothingBelow(match.map)) return 'the closest encloser is a delegation or DNAME';
      return { ce: sname, nextCloser: child, nextCloserCover: cover };
    }
    child = sname;
  }
  return 'no NSEC3 matches an ancestor of qname';
}

/**
 * NXDOMAIN (RFC 5155 §8.4): a closest encloser proof for qname, and an NSEC3 covering the
 * wildcard at the closest encloser. If the next closer name is covered by an Opt-Out record,
 * qname could be an unsigned delegation: 'insecure' (§9.2: no AD for such a proof).
 */
export function nsec3Nxdomain(q: DenialQuestion, records: readonly Rr[], o: Nsec3Options = {}): DenialResult {
  const chain = chainFor(q, records, o);
  if (!isChain(chain)) return chain;
  const proof = closestEncloser(chain, q);
  if (typeof proof === 'string') return bogus(proof);
  const wildcard = chainHash(chain, wildcardAt(proof.ce));
  if (matching(chain, wildcard)) return bogus('the wildcard at the closest encloser exists');
  if (!coveringRecord(chain, wildcard)) return bogus('no NSEC3 covers the wildcard');
  return isOptOut(proof.nextCloserCover) ? insecure('opt-out') : PROVEN;
}

/**
 * NODATA (RFC 5155 §8.5-§8.7, RFC 6840 §4.3, §4.4):
 * - an NSEC3 matches qname: neither qtype nor CNAME set (and for DS, the parent side of a
 *   delegation: see nodataMapProblem). Empty non-terminals have such a record, with no types.
 * - none matches, qtype DS (§8.6): a closest encloser proof whose next closer name is covered by an
 *   Opt-Out record: an unsigned delegation may be there, 'insecure'; without Opt-Out, bogus.
 * - none matches, other types (§8.7): a closest encloser proof and an NSEC3 matching the wildcard
 *   at the closest encloser without qtype or CNAME (wildcard NODATA; 'insecure' when the next
 *   closer name is in an Opt-Out span, §9.2). Without that wildcard record, an Opt-Out cover still
 *   gives 'insecure': an Opt-Out zone need not have records for empty non-terminals that lead only
 *   to unsigned delegations (§7.1; RFC 5155 erratum 3441).
 */
export function nsec3Nodata(q: DenialQuestion, records: readonly Rr[], o: Nsec3Options = {}): DenialResult {
  const chain = chainFor(q, records, o);
  if (!isChain(chain)) return chain;
  const match = matching(chain, chainHash(chain, q.qname));
  if (match) return mapVerdict(match.map, q.qtype, '');
  const proof = closestEncloser(chain, q);
  if (typeof proof === 'string') return bogus(`no NSEC3 matches qname, and ${proof}`);
  const optOut = isOptOut(proof.nextCloserCover);
  if (q.qtype === TYPE_DS) return optOut ? insecure('opt-out') : bogus('no NSEC3 matches qname and no Opt-Out covers it');
  const wild = matching(chain, chainHash(chain, wildcardAt(proof.ce)));
  if (wild) {
    const verdict = mapVerdict(wild.map, q.qtype, 'wildcard: ');
    return verdict.result === 'proven' && optOut ? insecure('opt-out') : verdict;
  }
  return optOut ? insecure('opt-out') : bogus('no NSEC3 matches qname or the wildcard at its closest encloser');
}

function mapVerdict(map: Nsec3['map'], qtype: number, prefix: string): DenialResult {
  const problem = nodataMapProblem(map, qtype);
  return problem === null ? PROVEN : bogus(prefix + problem);
}

/**
 * A positive answer synthesised from a wildcard (RFC 5155 §8.8): the RRSIG Labels field gives the
 * closest encloser (RFC 4035 §5.3.2); an NSEC3 must cover the next closer name, the closest
 * encloser plus qname's next label (proving no closer name exists). An Opt-Out cover gives
 * 'insecure' (§9.2): an unsigned delegation could be there.
 */
export function nsec3WildcardAnswer(
  q: DenialQuestion,
  rrsigLabels: number,
  records: readonly Rr[],
  o: Nsec3Options = {},
): DenialResult {
  const chain = chainFor(q, records, o);
  if (!isChain(chain)) return chain;
  const shape = wildcardShape(q, rrsigLabels);
  if (shape !== 'expanded') return shape;
  const nextCloser = stripLabels(q.qname, labelCount(q.qname) - rrsigLabels - 1);
  const hash = chainHash(chain, nextCloser);
  if (matching(chain, hash)) return bogus('an NSEC3 matches the next closer name: it exists');
  const cover = coveringRecord(chain, hash);
  if (!cover) return bogus('no NSEC3 covers the next closer name');
  return isOptOut(cover) ? insecure('opt-out') : PROVEN;
}
