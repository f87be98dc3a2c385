// One upstream reply validated (RFC 4035 §5): each RRset of the answer, following CNAME and DNAME
// steps (each with its own signer, RFC 4035 §5.3, RFC 6672 §5.3.3), then the denial that ends it,
// if it ends without data (RFC 4035 §5.4, RFC 5155 §8); a wildcard expansion needs the proof that
// the name itself does not exist (RFC 4035 §5.3.4). Secure only if every step is; bogus if one is.
import type { Checkers, DecodedMessage } from './api.js';
import type { ZoneState } from './keys.js';
import { isSubdomain, labelCount, lowerName, nameEquals } from './names.js';
import { findRRset, groupRRsets, type RRset } from './rrsets.js';
import { Ede, TYPE_NSEC, TYPE_NSEC3, TYPE_RRSIG, type EdeCode } from './types.js';
import { verifySet } from './verify-set.js';
import { nameText } from '../wire/name.js';
import { TYPE_ANY, TYPE_CNAME, TYPE_DNAME, TYPE_SOA } from '../wire/records.js';

export type Verdict =
  | { readonly security: 'secure'; readonly caps: ReadonlyMap<string, number> }
  | { readonly security: 'insecure'; readonly why: string }
  | {
      readonly security: 'bogus';
      readonly ede: EdeCode;
      readonly why: string;
      /** The servers look like they give no DNSSEC at all (the anchor's keys cannot be had, or the reply has no DNSSEC record): allow-downgrade answers insecure. */
      readonly downgradable: boolean;
    };

export interface ValidateDeps extends Checkers {
  /** The state of the zone that holds a name (keys.ts TrustChain.zoneOf, with this query's fetch). */
  readonly zoneOf: (name: Uint8Array) => Promise<ZoneState>;
  /** Whether a name is left unvalidated: a negative trust anchor, a zone insecure by default, a route that does not validate. */
  readonly insecure: (name: Uint8Array) => boolean;
}

/** The most CNAME/DNAME steps followed in one reply (RFC 1034 §3.6.2 leaves it to the resolver). */
const MAX_STEPS = 16;
const NXDOMAIN = 3;

/** The key of a TTL cap: the owner in lower case, then the type. */
export function capKey(owner: Uint8Array, type: number): string {
  return `${nameText(lowerName(owner), 0)}/${type}`;
}

type Step = { kind: 'ok'; insecure?: string } | { kind: 'bogus'; ede: EdeCode; why: string; atAnchor?: boolean };

export async function validateReply(msg: DecodedMessage, d: ValidateDeps): Promise<Verdict> {
  const answer = groupRRsets(msg.answer);
  const authority = groupRRsets(msg.authority);
  const caps = new Map<string, number>();
  let insecure: string | null = null;
  const unsigned = !hasDnssecRecords(msg);
  const take = (s: Step): Verdict | null => {
    if (s.kind === 'bogus') return { security: 'bogus', ede: s.ede, why: s.why, downgradable: (s.atAnchor ?? false) || unsigned };
    if (s.insecure !== undefined) insecure ??= s.insecure;
    return null;
  };
  let current = msg.qname;
  for (let step = 0; step < MAX_STEPS; step++) {
    const dname = answer.find((s) => s.type === TYPE_DNAME && isSubdomain(current, s.owner) && !nameEquals(current, s.owner));
    const data = msg.qtype === TYPE_ANY ? answer.filter((s) => nameEquals(s.owner, current)) : [findRRset(answer, current, msg.qtype)].filter((s) => s !== undefined);
    const cname = msg.qtype === TYPE_CNAME ? undefined : findRRset(answer, current, TYPE_CNAME);
    if (dname && !data.length) {
      const bad = take(await checkSet(dname, d, authority, caps));
      if (bad) return bad;
      if (!cname) break; // RFC 6672 §5.3.3: the synthesised CNAME is unsigned; its target is the DNAME's
      current = cname.records[0]!.rdata;
      continue;
    }
    if (data.length) {
      for (const set of data) {
        const bad = take(await checkSet(set, d, authority, caps));
        if (bad) return bad;
      }
      return done(insecure, caps);
    }
    if (cname) {
      const bad = take(await checkSet(cname, d, authority, caps));
      if (bad) return bad;
      current = cname.records[0]!.rdata;
      continue;
    }
    const bad = take(await negative(msg, current, d, authority));
    if (bad) return bad;
    return done(insecure, caps);
  }
  return done(insecure, caps);
}

function done(insecure: string | null, caps: Map<string, number>): Verdict {
  return insecure === null ? { security: 'secure', caps } : { security: 'insecure', why: insecure };
}

/** A zone's state as a step's outcome when it is not secure. */
function notSecure(z: ZoneState): Step | null {
  if (z.state === 'insecure') return { kind: 'ok', insecure: z.why };
  if (z.state === 'bogus') return { kind: 'bogus', ede: z.ede, why: z.why, atAnchor: z.atAnchor ?? false };
  return null;
}

const checker = (z: Extract<ZoneState, { state: 'secure' }>, d: ValidateDeps) => (set: RRset) => verifySet(set, z, d.crypto, d.now(), d.skew);

/** One RRset of the answer: signed by a secure zone's keys, or in an insecure zone. */
async function checkSet(set: RRset, d: ValidateDeps, authority: readonly RRset[], caps: Map<string, number>): Promise<Step> {
  if (d.insecure(set.owner)) return { kind: 'ok', insecure: `${show(set.owner)} is not validated (a negative trust anchor, a zone insecure by default or a route that does not validate)` };
  const signers = set.sigs.map((s) => d.crypto.signerOf(s)).filter((s): s is Uint8Array => s !== null && isSubdomain(set.owner, s));
  if (signers.length === 0) {
    // RFC 4035 §5.3.1: no usable RRSIG. Fine in an insecure zone, bogus in a secure one.
    const z = await d.zoneOf(set.owner);
    return notSecure(z) ?? { kind: 'bogus', ede: Ede.RRSIGS_MISSING, why: `${show(set.owner)} ${set.type}: no RRSIG in a signed zone` };
  }
  const z = await d.zoneOf(signers[0]!);
  const not = notSecure(z);
  if (not) return not;
  const secure = z as Extract<ZoneState, { state: 'secure' }>;
  if (!nameEquals(secure.zone, signers[0]!)) return { kind: 'bogus', ede: Ede.DNSSEC_BOGUS, why: `${show(set.owner)}: signer ${show(signers[0]!)} is not a zone` };
  const r = verifySet(set, secure, d.crypto, d.now(), d.skew);
  if (!r.ok) return { kind: 'bogus', ede: r.ede, why: `${show(set.owner)} ${set.type}: ${r.why}` };
  caps.set(capKey(set.owner, set.type), r.ttl);
  if (r.labels < labelCount(set.owner)) {
    const w = d.denial.wildcard(secure.zone, set.owner, r.labels, authority, checker(secure, d));
    if (w.result === 'bogus') return { kind: 'bogus', ede: w.ede, why: `${show(set.owner)} from a wildcard: ${w.why}` };
    if (w.result === 'insecure') return { kind: 'ok', insecure: w.why };
  }
  return { kind: 'ok' };
}

/** The answer ends at `name` without data: NXDOMAIN or NODATA, proven by the zone that holds it. */
async function negative(msg: DecodedMessage, name: Uint8Array, d: ValidateDeps, authority: readonly RRset[]): Promise<Step> {
  // A name the root proves absent may still be one left unvalidated (test., RFC 6761): insecure.
  if (d.insecure(name)) return { kind: 'ok', insecure: `${show(name)} is not validated (a negative trust anchor, a zone insecure by default or a route that does not validate)` };
  const soa = authority.find((s) => s.type === TYPE_SOA && isSubdomain(name, s.owner));
  const z = await d.zoneOf(soa ? soa.owner : name);
  const not = notSecure(z);
  if (not) return not;
  const secure = z as Extract<ZoneState, { state: 'secure' }>;
  if (soa && !nameEquals(secure.zone, soa.owner)) return { kind: 'bogus', ede: Ede.DNSSEC_BOGUS, why: `SOA of ${show(soa.owner)}, which is not a zone` };
  if (soa) {
    const r = verifySet(soa, secure, d.crypto, d.now(), d.skew);
    if (!r.ok) return { kind: 'bogus', ede: r.ede, why: `SOA of ${show(soa.owner)}: ${r.why}` };
  }
  const r = d.denial.negative(secure.zone, name, msg.qtype, msg.rcode === NXDOMAIN, authority, checker(secure, d));
  if (r.result === 'bogus') return { kind: 'bogus', ede: r.ede, why: `${show(name)}: ${r.why}` };
  if (r.result === 'insecure') return { kind: 'ok', insecure: r.why };
  return { kind: 'ok' };
}

/** Whether the reply holds any RRSIG, NSEC or NSEC3 record: a server that gives DNSSEC sends them for a signed zone. */
function hasDnssecRecords(msg: DecodedMessage): boolean {
  const dnssec = (r: { type: number }) => r.type === TYPE_RRSIG || r.type === TYPE_NSEC || r.type === TYPE_NSEC3;
  return msg.answer.some(dnssec) || msg.authority.some(dnssec);
}

function show(name: Uint8Array): string {
  return nameText(name, 0) || '.';
}
