// The engine's interfaces (api.ts) over the real pieces: signatures (rrsig.ts, algorithms.ts),
// NSEC and NSEC3 proofs (nsec.ts, nsec3.ts) and the decoder (message.ts). The denial side checks
// each NSEC/NSEC3 RRset's signature with the zone's keys before any proof reads it (RFC 4035 §5.4).
import { dsMatches, isSupportedAlgorithm, isSupportedDigest } from './algorithms.js';
import type { CheckSet, CryptoApi, DecodedMessage, Denied, DenialApi, DnssecParts, DsAbsence, Sections } from './api.js';
import { hasType, type TypeBitmap } from './bitmap.js';
import type { DenialResult } from './denial.js';
import { decodeMessage } from './message.js';
import { nameEquals } from './names.js';
import { nsecNodata, nsecNxdomain, nsecWildcardAnswer, parseNsecRdata } from './nsec.js';
import { nsec3Nodata, nsec3Nxdomain, nsec3WildcardAnswer } from './nsec3.js';
import { chainHash, matching, zoneNsec3s } from './nsec3-chain.js';
import type { RRset } from './rrsets.js';
import { parseRrsig, verifyRrset } from './rrsig.js';
import { Ede, TYPE_DS, TYPE_NS, TYPE_NSEC, TYPE_NSEC3, type Rr } from './types.js';
import { TYPE_SOA } from '../wire/records.js';

const crypto: CryptoApi = {
  isSupportedAlgorithm,
  isSupportedDigest,
  dsMatches,
  signerOf: (rrsig) => parseRrsig(rrsig.rdata)?.signer ?? null,
  verify(records, rrsig, keys, now, skew) {
    const r = verifyRrset(records, rrsig, keys, now, skew);
    if (!r.ok) return r;
    const { sig } = r;
    // RFC 1982 serial arithmetic: the expiration nearest to now.
    const expiration = now + ((sig.expiration - (now >>> 0)) | 0);
    return { ok: true, labels: sig.labels, originalTtl: sig.originalTtl, expiration };
  },
};

type Proof = { records: Rr[]; ttl: number; nsec3: boolean } | { bogus: string };

/** The zone's NSEC or NSEC3 records among `authority`, each set's signature checked. */
function denialRecords(authority: readonly RRset[], check: CheckSet): Proof {
  const sets = authority.filter((s) => s.type === TYPE_NSEC || s.type === TYPE_NSEC3);
  if (sets.length === 0) return { bogus: 'no NSEC or NSEC3 record' };
  let ttl = Infinity;
  for (const set of sets) {
    const r = check(set);
    if (!r.ok) return { bogus: `${set.type === TYPE_NSEC ? 'NSEC' : 'NSEC3'}: ${r.why}` };
    ttl = Math.min(ttl, r.ttl);
  }
  const nsec3 = sets.some((s) => s.type === TYPE_NSEC3);
  return { records: sets.filter((s) => s.type === (nsec3 ? TYPE_NSEC3 : TYPE_NSEC)).flatMap((s) => s.records), ttl, nsec3 };
}

function denied(r: DenialResult, ttl: number): Denied {
  if (r.result === 'proven') return { result: 'proven', ttl };
  if (r.result === 'insecure') return { result: 'insecure', why: r.why === 'opt-out' ? 'an NSEC3 opt-out span' : 'NSEC3 iterations above the cap' };
  return { result: 'bogus', ede: Ede.DNSSEC_BOGUS, why: r.why };
}

/** What the type map at a DS query's name says (RFC 4035 §5.2, RFC 6840 §4.4): the parent's side of a cut, or no cut. */
function cutFromMap(map: TypeBitmap, ttl: number): DsAbsence {
  if (hasType(map, TYPE_DS)) return { result: 'bogus', ede: Ede.DNSSEC_BOGUS, why: 'the denial lists a DS' };
  if (hasType(map, TYPE_SOA)) return { result: 'bogus', ede: Ede.DNSSEC_BOGUS, why: "the child's apex record, not the parent's" };
  if (hasType(map, TYPE_NS)) return { result: 'insecure', why: 'a delegation without DS', ttl };
  return { result: 'no-cut', ttl };
}

/**
 * What a signed reply without DS for `name` proves: a delegation without DS (insecure below it), no
 * zone cut at all (the name is not a delegation, an empty non-terminal, or does not exist), an
 * NSEC3 opt-out span that may hide an unsigned delegation (insecure, RFC 5155 §8.6), or nothing.
 */
function dsDenial(zone: Uint8Array, name: Uint8Array, p: { records: Rr[]; ttl: number; nsec3: boolean }, nxdomain: boolean): DsAbsence {
  const q = { zone, qname: name, qtype: TYPE_DS };
  if (!p.nsec3) {
    const at = p.records.find((r) => nameEquals(r.owner, name));
    if (at) {
      const parsed = parseNsecRdata(at.rdata);
      return parsed ? cutFromMap(parsed.map, p.ttl) : { result: 'bogus', ede: Ede.DNSSEC_BOGUS, why: 'malformed NSEC' };
    }
    // No NSEC at the name: it does not exist, or is an empty non-terminal (asked as NS, which the
    // proofs treat like any type; for DS they want a delegation).
    const r = nxdomain ? nsecNxdomain(q, p.records) : nsecNodata({ ...q, qtype: TYPE_NS }, p.records);
    return r.result === 'proven' ? { result: 'no-cut', ttl: p.ttl } : { result: 'bogus', ede: Ede.DNSSEC_BOGUS, why: r.result === 'bogus' ? r.why : r.why };
  }
  const chain = zoneNsec3s(zone, p.records);
  if (typeof chain !== 'string') {
    const match = matching(chain, chainHash(chain, name));
    if (match) return cutFromMap(match.map, p.ttl);
  }
  const r = nxdomain ? nsec3Nxdomain(q, p.records) : nsec3Nodata(q, p.records);
  if (r.result === 'proven') return { result: 'no-cut', ttl: p.ttl };
  if (r.result === 'insecure') return { result: 'insecure', why: r.why === 'opt-out' ? 'an NSEC3 opt-out span' : 'NSEC3 iterations above the cap', ttl: p.ttl };
  return { result: 'bogus', ede: Ede.DNSSEC_BOGUS, why: r.why };
}

const denial: DenialApi = {
  dsAbsence(parent, name, authority, rcode, check) {
    const p = denialRecords(authority, check);
    if ('bogus' in p) return { result: 'bogus', ede: Ede.NSEC_MISSING, why: p.bogus };
    return dsDenial(parent.zone, name, p, rcode === 3);
  },

  negative(zone, qname, qtype, nxdomain, authority, check) {
    const p = denialRecords(authority, check);
    if ('bogus' in p) return { result: 'bogus', ede: Ede.NSEC_MISSING, why: p.bogus };
    if (qtype === TYPE_DS) {
      // A client's DS query: a delegation without DS, or no cut there, is a proven NODATA.
      const d = dsDenial(zone, qname, p, nxdomain);
      if (d.result === 'bogus') return d;
      if (d.result === 'insecure' && d.why !== 'a delegation without DS') return { result: 'insecure', why: d.why };
      return { result: 'proven', ttl: p.ttl };
    }
    const q = { zone, qname, qtype };
    if (p.nsec3) return denied(nxdomain ? nsec3Nxdomain(q, p.records) : nsec3Nodata(q, p.records), p.ttl);
    return denied(nxdomain ? nsecNxdomain(q, p.records) : nsecNodata(q, p.records), p.ttl);
  },

  wildcard(zone, qname, labels, authority, check) {
    const p = denialRecords(authority, check);
    if ('bogus' in p) return { result: 'bogus', ede: Ede.NSEC_MISSING, why: `wildcard answer: ${p.bogus}` };
    const q = { zone, qname, qtype: 0 };
    return denied(p.nsec3 ? nsec3WildcardAnswer(q, labels, p.records) : nsecWildcardAnswer(q, labels, p.records), p.ttl);
  },
};

/** The decoded reply as the engine and the reply shaper read it; null when it does not decode or has no question. */
function decode(reply: Uint8Array): (DecodedMessage & Sections) | null {
  const m = decodeMessage(reply);
  if (!m || !m.question) return null;
  return { rcode: m.rcode, qname: m.question.name, qtype: m.question.type, answer: m.answer, authority: m.authority, additional: m.additional };
}

export function dnssecParts(): DnssecParts {
  return { crypto, denial, decode };
}
