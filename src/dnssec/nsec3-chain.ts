// NSEC3 records decoded for the proofs in nsec3.ts: the RDATA (RFC 5155 §3.2), the hashed owner
// label, the records a validator must ignore (§8.1, §8.2), and which hash a record matches or covers.
import { parseBitmap, type TypeBitmap } from './bitmap.js';
import { isWireName } from './denial.js';
import { nameEquals, parentName } from './names.js';
import { base32hexDecode, compareHashes, nsec3Hash } from './nsec3-hash.js';
import { type Rr, TYPE_NSEC3 } from './types.js';

/** Hash algorithm 1, SHA-1 (RFC 5155 §11), the only one defined; its digests are 20 octets. */
export const NSEC3_SHA1 = 1;
const SHA1_LENGTH = 20;
/** The Opt-Out flag (RFC 5155 §3.1.2.1), the only flag defined. */
export const NSEC3_OPT_OUT = 1;

/** The NSEC3 RDATA fields (RFC 5155 §3.2). */
export interface Nsec3Rdata {
  readonly algorithm: number;
  readonly flags: number;
  readonly iterations: number;
  readonly salt: Uint8Array;
  /** Next Hashed Owner Name: the raw hash, not Base32. */
  readonly next: Uint8Array;
  readonly map: TypeBitmap;
}

/** One usable NSEC3 record of the zone: its RDATA and the hash its owner label holds. */
export interface Nsec3 extends Nsec3Rdata {
  readonly hash: Uint8Array;
}

/** The zone's usable NSEC3 records, all with the same salt and iteration count (RFC 5155 §8.2). */
export interface Nsec3Chain {
  readonly records: readonly Nsec3[];
  readonly salt: Uint8Array;
  readonly iterations: number;
}

/**
 * RFC 5155 §3.2: algorithm (1), flags (1), iterations (2), salt length (1), salt, hash length (1),
 * next hashed owner name, type bit map. Null when a length runs past the RDATA, the hash length is
 * 0, or the bit map is malformed.
 */
export function parseNsec3Rdata(rdata: Uint8Array): Nsec3Rdata | null {
  if (rdata.length < 6) return null;
  const saltEnd = 5 + rdata[4]!;
  if (saltEnd >= rdata.length) return null;
  const hashLength = rdata[saltEnd]!;
  const hashEnd = saltEnd + 1 + hashLength;
  if (hashLength === 0 || hashEnd > rdata.length) return null;
  const map = parseBitmap(rdata.subarray(hashEnd));
  if (map === null) return null;
  return {
    algorithm: rdata[0]!,
    flags: rdata[1]!,
    iterations: (rdata[2]! << 8) | rdata[3]!,
    salt: rdata.subarray(5, saltEnd),
    next: rdata.subarray(saltEnd + 1, hashEnd),
    map,
  };
}

/** The hash in an NSEC3 owner's first label (RFC 5155 §3: Base32hex of the hash), or null. */
function ownerHash(owner: Uint8Array): Uint8Array | null {
  const label = String.fromCharCode(...owner.subarray(1, 1 + owner[0]!));
  return base32hexDecode(label);
}

/**
 * The usable NSEC3 records of `zone` among `records`, or why the set is bogus. Other types, and
 * NSEC3s whose owner is not one label under the zone, are left out; so are those a validator MUST
 * ignore: a hash algorithm other than SHA-1 (§8.1), flags other than 0 or Opt-Out (§8.2).
 * Malformed RDATA, or an owner label or next hash that is not a SHA-1 digest, make the set bogus;
 * so does a set with no usable record (§8.1: such responses are bogus), and, as §8.2 permits,
 * usable records with different salts or iteration counts.
 */
export function zoneNsec3s(zone: Uint8Array, records: readonly Rr[]): Nsec3Chain | string {
  const usable: Nsec3[] = [];
  for (const r of records) {
    if (r.type !== TYPE_NSEC3) continue;
    if (!isWireName(r.owner)) return 'malformed NSEC3 owner name';
    if (r.owner[0] === 0 || !nameEquals(parentName(r.owner), zone)) continue;
    const rd = parseNsec3Rdata(r.rdata);
    if (rd === null) return 'malformed NSEC3 RDATA';
    if (rd.algorithm !== NSEC3_SHA1 || (rd.flags & ~NSEC3_OPT_OUT) !== 0) continue;
    const hash = ownerHash(r.owner);
    if (hash === null || hash.length !== SHA1_LENGTH) return 'NSEC3 owner label is not a SHA-1 hash';
    if (rd.next.length !== SHA1_LENGTH) return 'NSEC3 next hashed owner is not a SHA-1 hash';
    usable.push({ ...rd, hash });
  }
  const first = usable[0];
  if (first === undefined) return 'no NSEC3 record with hash algorithm 1 and known flags';
  const same = (n: Nsec3): boolean => n.iterations === first.iterations && compareHashes(n.salt, first.salt) === 0;
  if (!usable.every(same)) return 'NSEC3 records with different parameters';
  return { records: usable, salt: first.salt, iterations: first.iterations };
}

/** The hash of `name` under the chain's parameters. */
export function chainHash(chain: Nsec3Chain, name: Uint8Array): Uint8Array {
  return nsec3Hash(name, chain.salt, chain.iterations);
}

/** The record whose owner hash is `hash` (the name exists, RFC 5155 §1.3 "matches"), or undefined. */
export function matching(chain: Nsec3Chain, hash: Uint8Array): Nsec3 | undefined {
  return chain.records.find((n) => compareHashes(n.hash, hash) === 0);
}

/**
 * A record that covers `hash` (RFC 5155 §1.3): owner hash < hash < next hash, or for the last record
 * of the chain, whose next hash wraps to the first (§3.1.7), hash after the owner or before the next.
 */
export function coveringRecord(chain: Nsec3Chain, hash: Uint8Array): Nsec3 | undefined {
  return chain.records.find((n) => {
    const afterOwner = compareHashes(n.hash, hash) < 0;
    const beforeNext = compareHashes(hash, n.next) < 0;
    return compareHashes(n.hash, n.next) < 0 ? afterOwner && beforeNext : afterOwner || beforeNext;
  });
}

/** Whether the record has the Opt-Out flag (RFC 5155 §3.1.2.1). */
export function isOptOut(n: Nsec3): boolean {
  return (n.flags & NSEC3_OPT_OUT) !== 0;
}
