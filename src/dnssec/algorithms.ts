// DNSSEC algorithms with node:crypto: DNSKEY public keys imported as JWK, signatures verified, key
// tags (RFC 4034 Appendix B) and DS digests (RFC 4034 §5.1.4, RFC 4509, RFC 6605 §4).
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { lowerName, nameEquals } from './names.js';
import type { Rr } from './types.js';

/** DNSKEY RDATA (RFC 4034 §2.1): Flags (2), Protocol (1), Algorithm (1), then the public key. */
const DNSKEY_KEY = 4;
/** Flags bit 7, the Zone Key flag (RFC 4034 §2.1.1). */
export const DNSKEY_ZONE_FLAG = 0x0100;
/** The only Protocol value (RFC 4034 §2.1.2). */
export const DNSKEY_PROTOCOL = 3;

interface AlgorithmSpec {
  readonly hash: string | null;
  /** How the key's bytes become a JWK, or null if they do not form a key of this algorithm. */
  readonly jwk: (key: Uint8Array) => Record<string, string> | null;
  readonly ecdsa: boolean;
}

const b64url = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/** RFC 3110 §2: exponent length (1 octet, or 0 then 2 octets), exponent, modulus; modulus bits in range. */
function rsaJwk(minBits: number): (key: Uint8Array) => Record<string, string> | null {
  return (key) => {
    const long = key[0] === 0;
    const expLen = long ? ((key[1] ?? 0) << 8) | (key[2] ?? 0) : (key[0] ?? 0);
    const expStart = long ? 3 : 1;
    let modStart = expStart + expLen;
    if (expLen === 0 || modStart >= key.length) return null;
    while (modStart < key.length - 1 && key[modStart] === 0) modStart++;
    const bits = (key.length - modStart) * 8 - Math.clz32(key[modStart]!) + 24;
    if (bits < minBits || bits > 4096) return null;
    return { kty: 'RSA', e: b64url(key.subarray(expStart, expStart + expLen)), n: b64url(key.subarray(modStart)) };
  };
}

/** RFC 6605 §4: the point's x and y, each the curve's size. */
function ecJwk(crv: string, size: number): (key: Uint8Array) => Record<string, string> | null {
  return (key) => (key.length === 2 * size ? { kty: 'EC', crv, x: b64url(key.subarray(0, size)), y: b64url(key.subarray(size)) } : null);
}

/** The supported algorithms (RFC 8624 §3.1: MUST / RECOMMENDED to validate); RSASHA1 (5, 7) left out on purpose. */
const ALGORITHMS: ReadonlyMap<number, AlgorithmSpec> = new Map<number, AlgorithmSpec>([
  [8, { hash: 'sha256', jwk: rsaJwk(512), ecdsa: false }], // RSASHA256, RFC 5702 §2.1: 512-4096 bits
  [10, { hash: 'sha512', jwk: rsaJwk(1024), ecdsa: false }], // RSASHA512, RFC 5702 §2.2: 1024-4096 bits
  [13, { hash: 'sha256', jwk: ecJwk('P-256', 32), ecdsa: true }], // ECDSAP256SHA256, RFC 6605
  [14, { hash: 'sha384', jwk: ecJwk('P-384', 48), ecdsa: true }], // ECDSAP384SHA384, RFC 6605
  [15, { hash: null, jwk: (k) => (k.length === 32 ? { kty: 'OKP', crv: 'Ed25519', x: b64url(k) } : null), ecdsa: false }], // RFC 8080 §3
]);

/** Whether signatures of DNSKEY algorithm `n` can be verified here (8, 10, 13, 14, 15). */
export function isSupportedAlgorithm(n: number): boolean {
  return ALGORITHMS.has(n);
}

/** The key tag of a DNSKEY RDATA (RFC 4034 Appendix B; B.1 for algorithm 1, RSA/MD5). */
export function keyTag(dnskeyRdata: Uint8Array): number {
  if (dnskeyRdata[3] === 1) {
    const n = dnskeyRdata.length;
    return n >= 4 + 3 ? (dnskeyRdata[n - 3]! << 8) | dnskeyRdata[n - 2]! : 0;
  }
  let acc = 0;
  for (let i = 0; i < dnskeyRdata.length; i++) acc += i & 1 ? dnskeyRdata[i]! : dnskeyRdata[i]! << 8;
  acc += (acc >>> 16) & 0xffff;
  return acc & 0xffff;
}

/** Imported keys by DNSKEY RDATA (null: not a valid key), the oldest dropped past KEY_CACHE_SIZE. */
const keyCache = new Map<string, KeyObject | null>();
const KEY_CACHE_SIZE = 512;

function importKey(spec: AlgorithmSpec, dnskeyRdata: Uint8Array): KeyObject | null {
  const id = Buffer.from(dnskeyRdata.buffer, dnskeyRdata.byteOffset, dnskeyRdata.byteLength).toString('latin1');
  const cached = keyCache.get(id);
  if (cached !== undefined) return cached;
  const jwk = spec.jwk(dnskeyRdata.subarray(DNSKEY_KEY));
  let key: KeyObject | null = null;
  try {
    if (jwk !== null) key = createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    key = null; // not a point on the curve, or a key node:crypto refuses: this DNSKEY verifies nothing
  }
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}

/**
 * Whether `signature` over `data` verifies with the public key in `dnskeyRdata`, whose algorithm
 * field must be supported. False for an unsupported algorithm or a malformed key or signature.
 */
export function verifySignature(dnskeyRdata: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const spec = ALGORITHMS.get(dnskeyRdata[3] ?? 0);
  if (spec === undefined) return false;
  const key = importKey(spec, dnskeyRdata);
  if (key === null) return false;
  try {
    // RFC 6605 §4: ECDSA signatures are r || s, which node:crypto calls ieee-p1363.
    return verify(spec.hash, data, spec.ecdsa ? { key, dsaEncoding: 'ieee-p1363' } : key, signature);
  } catch {
    return false; // a signature of the wrong length for the key
  }
}

/** DS digest types supported: SHA-256 (2, RFC 4509) and SHA-384 (4, RFC 6605 §2). */
const DIGESTS: ReadonlyMap<number, string> = new Map([
  [2, 'sha256'],
  [4, 'sha384'],
]);

/** Whether DS digest type `n` is supported (2, 4; not SHA-1 nor GOST). */
export function isSupportedDigest(n: number): boolean {
  return DIGESTS.has(n);
}

/** The DS digest of a DNSKEY (RFC 4034 §5.1.4): hash(canonical owner | DNSKEY RDATA); null for an unsupported type. */
export function dsDigest(ownerName: Uint8Array, dnskeyRdata: Uint8Array, digestType: number): Uint8Array | null {
  const hash = DIGESTS.get(digestType);
  if (hash === undefined) return null;
  return createHash(hash).update(lowerName(ownerName)).update(dnskeyRdata).digest();
}

/**
 * Whether the DS record `dsRr` (RFC 4034 §5.1) refers to `dnskeyRr`: same owner and class, key tag
 * and algorithm, a supported digest type whose digest matches, and the DNSKEY a zone key with
 * Protocol 3 (RFC 4034 §5.2: otherwise the DS and the DNSKEY MUST NOT be used).
 */
export function dsMatches(dsRr: Rr, dnskeyRr: Rr): boolean {
  const ds = dsRr.rdata;
  const key = dnskeyRr.rdata;
  if (ds.length < 5 || key.length <= DNSKEY_KEY) return false;
  if (dsRr.class !== dnskeyRr.class || !nameEquals(dsRr.owner, dnskeyRr.owner)) return false;
  if ((((key[0]! << 8) | key[1]!) & DNSKEY_ZONE_FLAG) === 0 || key[2] !== DNSKEY_PROTOCOL) return false;
  if (((ds[0]! << 8) | ds[1]!) !== keyTag(key) || ds[2] !== key[3]) return false;
  const digest = dsDigest(dnskeyRr.owner, key, ds[3]!);
  return digest !== null && Buffer.compare(digest, ds.subarray(4)) === 0;
}
