// The shapes DNSSEC validation works on (RFC 4033-4035): records decoded from a message with every
// name uncompressed, so that the canonical form (RFC 4034 §6.2) can be built from them.

/** One resource record, decoded for validation. Names are wire format, uncompressed, case kept. */
export interface Rr {
  /** Owner name: wire format, uncompressed, root label included, case as received. */
  readonly owner: Uint8Array;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  /** RDATA with every embedded name decompressed (the RFC 3597 §4 types), case as received. */
  readonly rdata: Uint8Array;
}

/** The record types validation reads (RFC 4034 §2-§4, RFC 5155 §3-§4). */
export const TYPE_NS = 2;
export const TYPE_DS = 43;
export const TYPE_RRSIG = 46;
export const TYPE_NSEC = 47;
export const TYPE_DNSKEY = 48;
export const TYPE_NSEC3 = 50;

/** Extended DNS Error codes (RFC 8914 §4) that validation reports. */
export const Ede = {
  UNSUPPORTED_DNSKEY_ALGORITHM: 1,
  UNSUPPORTED_DS_DIGEST_TYPE: 2,
  DNSSEC_INDETERMINATE: 5,
  DNSSEC_BOGUS: 6,
  SIGNATURE_EXPIRED: 7,
  SIGNATURE_NOT_YET_VALID: 8,
  DNSKEY_MISSING: 9,
  RRSIGS_MISSING: 10,
  NO_ZONE_KEY_BIT_SET: 11,
  NSEC_MISSING: 12,
  UNSUPPORTED_NSEC3_ITERATIONS: 27,
} as const;
export type EdeCode = (typeof Ede)[keyof typeof Ede];
