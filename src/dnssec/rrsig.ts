// RRSIG records (RFC 4034 §3): their fields, their validity window, and the verification of one RRset
// with one RRSIG against a zone's DNSKEYs (RFC 4035 §5.3).
import { DNSKEY_PROTOCOL, DNSKEY_ZONE_FLAG, isSupportedAlgorithm, keyTag, verifySignature } from './algorithms.js';
import { signedData } from './canonical.js';
import { isSubdomain, labelCount, nameEquals } from './names.js';
import { nameEnd } from './rdata-names.js';
import { TYPE_DNSKEY, TYPE_RRSIG, type Rr } from './types.js';
import { VerifiedSignatures } from './verified.js';

/** Signatures this process has verified (verified.ts). */
const verified = new VerifiedSignatures();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The fields of an RRSIG RDATA (RFC 4034 §3.1). */
export interface Rrsig {
  readonly typeCovered: number;
  readonly algorithm: number;
  readonly labels: number;
  readonly originalTtl: number;
  /** Seconds since 1970 modulo 2^32 (RFC 4034 §3.1.5), compared with serial arithmetic. */
  readonly expiration: number;
  readonly inception: number;
  readonly keyTag: number;
  /** The Signer's Name: wire format, uncompressed, case as received. */
  readonly signer: Uint8Array;
  readonly signature: Uint8Array;
  /** Where the signature starts in the RDATA: what precedes it is signed (RFC 4034 §3.1.8.1). */
  readonly signatureOffset: number;
}

export type WindowCheck = 'valid' | 'expired' | 'not-yet-valid';

export type VerifyResult =
  | { readonly ok: true; readonly key: Rr; readonly sig: Rrsig }
  | { readonly ok: false; readonly reason: 'expired' | 'not-yet-valid' | 'no-key' | 'bad-signature' | 'unsupported-algorithm' | 'malformed' };

/** The fields of `rdata`, or null if it is too short, its signer is not an uncompressed name, or it has no signature. */
export function parseRrsig(rdata: Uint8Array): Rrsig | null {
  const signerEnd = nameEnd(rdata, 18);
  if (signerEnd < 0 || signerEnd >= rdata.length) return null;
  const v = new DataView(rdata.buffer, rdata.byteOffset, rdata.byteLength);
  return {
    typeCovered: v.getUint16(0),
    algorithm: rdata[2]!,
    labels: rdata[3]!,
    originalTtl: v.getUint32(4),
    expiration: v.getUint32(8),
    inception: v.getUint32(12),
    keyTag: v.getUint16(16),
    signer: rdata.subarray(18, signerEnd),
    signature: rdata.subarray(signerEnd),
    signatureOffset: signerEnd,
  };
}

/** `a - b` in RFC 1982 serial arithmetic on 32 bits: negative when a is before b, positive after. */
function serialDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Whether `nowSeconds` (Unix time) falls in the signature's window, with `skewSeconds` of allowance
 * on each side for clocks that differ (RFC 4034 §3.1.5: serial arithmetic, RFC 1982; RFC 4035 §5.3.1:
 * inception <= now <= expiration).
 */
export function checkWindow(sig: Pick<Rrsig, 'expiration' | 'inception'>, nowSeconds: number, skewSeconds: number): WindowCheck {
  const now = Math.floor(nowSeconds) >>> 0;
  if (serialDiff(now, sig.expiration) > skewSeconds) return 'expired';
  if (serialDiff(sig.inception, now) > skewSeconds) return 'not-yet-valid';
  return 'valid';
}

/** The DNSKEYs that may have made `sig` (RFC 4035 §5.3.1): owner the signer, a zone key, Protocol 3, same algorithm and key tag. */
function candidateKeys(sig: Rrsig, rrsigClass: number, dnskeys: readonly Rr[]): Rr[] {
  return dnskeys.filter((k) => {
    const d = k.rdata;
    if (k.type !== TYPE_DNSKEY || k.class !== rrsigClass || d.length < 5 || !nameEquals(k.owner, sig.signer)) return false;
    if ((((d[0]! << 8) | d[1]!) & DNSKEY_ZONE_FLAG) === 0) return false; // RFC 4034 §2.1.1: not for zone data
    return d[2] === DNSKEY_PROTOCOL && d[3] === sig.algorithm && keyTag(d) === sig.keyTag;
  });
}

/** Whether `sig` may cover `rrset` at all (RFC 4035 §5.3.1): owner, class and type, signer and labels. */
function coversRrset(sig: Rrsig, rrsigRr: Rr, rrset: readonly Rr[]): boolean {
  const first = rrset[0];
  if (first === undefined || rrsigRr.type !== TYPE_RRSIG) return false;
  if (rrset.some((rr) => rr.type !== sig.typeCovered || rr.class !== rrsigRr.class || !nameEquals(rr.owner, rrsigRr.owner))) {
    return false;
  }
  return isSubdomain(first.owner, sig.signer) && sig.labels <= labelCount(first.owner);
}

/**
 * Verifies `rrset` with the RRSIG record `rrsigRr` and the zone's `dnskeys` (RFC 4035 §5.3) at
 * `nowSeconds`, allowing `skewSeconds` either side of the window. 'malformed': the RRSIG does not
 * parse or cannot cover this RRset (owner, class, type, signer not the owner's zone, Labels too
 * large); 'unsupported-algorithm' before anything else is tried (RFC 4035 §5.2: the engine treats
 * it as insecure); then the window; 'no-key': no DNSKEY matches (zone bit, owner, algorithm, tag);
 * 'bad-signature': none of those that match verifies it.
 */
export function verifyRrset(rrset: readonly Rr[], rrsigRr: Rr, dnskeys: readonly Rr[], nowSeconds: number, skewSeconds: number): VerifyResult {
  const sig = parseRrsig(rrsigRr.rdata);
  if (sig === null || !coversRrset(sig, rrsigRr, rrset)) return { ok: false, reason: 'malformed' };
  if (!isSupportedAlgorithm(sig.algorithm)) return { ok: false, reason: 'unsupported-algorithm' };
  const window = checkWindow(sig, nowSeconds, skewSeconds);
  if (window !== 'valid') return { ok: false, reason: window };
  const keys = candidateKeys(sig, rrsigRr.class, dnskeys);
  if (keys.length === 0) return { ok: false, reason: 'no-key' };
  const data = signedData(rrsigRr.rdata, rrset);
  if (data === null) return { ok: false, reason: 'malformed' };
  const seen = VerifiedSignatures.key(data, sig.signature);
  const before = verified.get(seen);
  const known = before && keys.find((k) => sameBytes(k.rdata, before));
  if (known) return { ok: true, key: known, sig };
  for (const key of keys) {
    if (!verifySignature(key.rdata, data, sig.signature)) continue;
    verified.set(seen, key.rdata);
    return { ok: true, key, sig };
  }
  return { ok: false, reason: 'bad-signature' };
}
