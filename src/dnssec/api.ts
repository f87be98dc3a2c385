// What the validation engine needs of the signature and denial modules, as interfaces: the engine
// is tested with them as they are, and the daemon passes the real ones (crypto.ts, denial.ts).
import type { RRset } from './rrsets.js';
import type { EdeCode, Rr } from './types.js';

/** A message decoded for validation: every name uncompressed. */
export interface DecodedMessage {
  readonly rcode: number;
  readonly qname: Uint8Array;
  readonly qtype: number;
  readonly answer: readonly Rr[];
  readonly authority: readonly Rr[];
}

/** A decoded message's sections, the OPT record left out. */
export interface Sections {
  readonly answer: readonly Rr[];
  readonly authority: readonly Rr[];
  readonly additional: readonly Rr[];
}

/** One RRSIG checked against a set of keys. */
export type SigResult =
  | { readonly ok: true; readonly labels: number; readonly originalTtl: number; readonly expiration: number }
  | { readonly ok: false; readonly reason: 'expired' | 'not-yet-valid' | 'no-key' | 'bad-signature' | 'unsupported-algorithm' | 'malformed' };

export interface CryptoApi {
  isSupportedAlgorithm(alg: number): boolean;
  isSupportedDigest(digestType: number): boolean;
  /** Whether the DS record names the DNSKEY record (owner, tag, algorithm, digest). */
  dsMatches(ds: Rr, dnskey: Rr): boolean;
  /** `rrsig` over `records`, by one of `keys` (signer = their owner), at `now` (seconds) with `skew` allowed. */
  verify(records: readonly Rr[], rrsig: Rr, keys: readonly Rr[], now: number, skew: number): SigResult;
  /** The Signer's Name field of an RRSIG (wire, uncompressed), or null when malformed. */
  signerOf(rrsig: Rr): Uint8Array | null;
}

/** A verifier of RRsets by the zone whose keys the engine has validated. */
export type CheckSet = (set: RRset) => { ok: true; ttl: number; labels: number } | { ok: false; ede: EdeCode; why: string };

export type DsAbsence =
  | { readonly result: 'no-cut'; readonly ttl: number }
  | { readonly result: 'insecure'; readonly why: string; readonly ttl: number }
  | { readonly result: 'bogus'; readonly ede: EdeCode; readonly why: string };

export type Denied =
  | { readonly result: 'proven'; readonly ttl: number }
  | { readonly result: 'insecure'; readonly why: string }
  | { readonly result: 'bogus'; readonly ede: EdeCode; readonly why: string };

export interface DenialApi {
  /** What a reply without a DS set for `name` proves, its NSEC/NSEC3 sets checked by `check`. */
  dsAbsence(parent: { readonly zone: Uint8Array }, name: Uint8Array, authority: readonly RRset[], rcode: number, check: CheckSet): DsAbsence;
  /** NXDOMAIN (rcode 3) or NODATA for `qname`/`qtype` in `zone`. */
  negative(zone: Uint8Array, qname: Uint8Array, qtype: number, nxdomain: boolean, authority: readonly RRset[], check: CheckSet): Denied;
  /** A positive answer for `qname` expanded from a wildcard whose RRSIG had `labels` labels: qname itself must not exist. */
  wildcard(zone: Uint8Array, qname: Uint8Array, labels: number, authority: readonly RRset[], check: CheckSet): Denied;
}

/** What checks signatures and denials, and the clock and skew they are checked with. */
export interface Checkers {
  readonly crypto: CryptoApi;
  readonly denial: DenialApi;
  /** Seconds since the epoch. */
  readonly now: () => number;
  /** Seconds a signature's window may be off by. */
  readonly skew: number;
}

/** The pieces that do the work, as the daemon hands them to the setup (impl.ts). */
export interface DnssecParts {
  readonly crypto: CryptoApi;
  readonly denial: DenialApi;
  readonly decode: (reply: Uint8Array) => (DecodedMessage & Sections) | null;
}
