// One RRset checked against a validated DNSKEY set (RFC 4035 §5.3): some RRSIG by the zone's keys
// must verify. The TTL it may be kept for is capped by the RRSIG's Original TTL and expiration
// (RFC 4035 §5.3.3).
import type { CryptoApi, SigResult } from './api.js';
import { nameEquals } from './names.js';
import type { RRset } from './rrsets.js';
import { Ede, type EdeCode, type Rr } from './types.js';

export type SetCheck = { ok: true; ttl: number; labels: number } | { ok: false; ede: EdeCode; why: string };

const EDE_OF: Record<Exclude<SigResult, { ok: true }>['reason'], EdeCode> = {
  expired: Ede.SIGNATURE_EXPIRED,
  'not-yet-valid': Ede.SIGNATURE_NOT_YET_VALID,
  'no-key': Ede.DNSKEY_MISSING,
  'bad-signature': Ede.DNSSEC_BOGUS,
  'unsupported-algorithm': Ede.UNSUPPORTED_DNSKEY_ALGORITHM,
  malformed: Ede.DNSSEC_BOGUS,
};

/** The first RRSIG of `set` by `zone` that verifies with one of `keys`, or the most telling failure. */
export function verifySet(set: RRset, by: { readonly zone: Uint8Array; readonly keys: readonly Rr[] }, crypto: CryptoApi, now: number, skew: number): SetCheck {
  if (set.sigs.length === 0) return { ok: false, ede: Ede.RRSIGS_MISSING, why: 'no RRSIG' };
  let worst: Exclude<SigResult, { ok: true }> | null = null;
  for (const sig of set.sigs) {
    const signer = crypto.signerOf(sig);
    if (!signer || !nameEquals(signer, by.zone)) continue;
    const r = crypto.verify(set.records, sig, by.keys, now, skew);
    if (r.ok) {
      const ttl = Math.max(0, Math.min(r.originalTtl, ...set.records.map((x) => x.ttl), r.expiration - now));
      return { ok: true, ttl, labels: r.labels };
    }
    if (!worst || rank(r.reason) > rank(worst.reason)) worst = r;
  }
  if (!worst) return { ok: false, ede: Ede.RRSIGS_MISSING, why: 'no RRSIG by the zone that holds it' };
  return { ok: false, ede: EDE_OF[worst.reason], why: worst.reason.replace(/-/g, ' ') };
}

/** Which failure says the most: a bad signature over a missing key, an expired one over both. */
function rank(reason: Exclude<SigResult, { ok: true }>['reason']): number {
  return ['malformed', 'unsupported-algorithm', 'no-key', 'bad-signature', 'not-yet-valid', 'expired'].indexOf(reason);
}
