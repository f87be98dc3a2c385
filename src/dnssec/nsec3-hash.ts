// The NSEC3 hash of a name (RFC 5155 §5) and the Base32 Extended Hex encoding of hashes in NSEC3
// owner labels (RFC 4648 §7, without padding, RFC 5155 §3.3).
import { createHash } from 'node:crypto';
import { lowerName } from './names.js';

/**
 * IH(salt, x, k) of RFC 5155 §5 with hash algorithm 1 (SHA-1, §11): x is the name in canonical
 * wire form (lower case, RFC 4034 §6.2); IH(salt, x, 0) = H(x || salt), and each further iteration
 * hashes the previous digest with the salt. `iterations` is the NSEC3 Iterations field (additional
 * iterations): 0 means one hash.
 */
export function nsec3Hash(name: Uint8Array, salt: Uint8Array, iterations: number): Uint8Array {
  let digest: Uint8Array = createHash('sha1').update(lowerName(name)).update(salt).digest();
  for (let i = 0; i < iterations; i++) digest = createHash('sha1').update(digest).update(salt).digest();
  return digest;
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** `bytes` in Base32 Extended Hex (RFC 4648 §7), lower case, no padding. */
export function base32hexEncode(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * The bytes of unpadded Base32 Extended Hex text (either case), or null when it is not that: a
 * character outside the alphabet, a length no whole number of octets gives (RFC 4648 §6: 2, 4, 5,
 * 7 or 8 characters for each last group), or non-zero bits left over at the end.
 */
export function base32hexDecode(text: string): Uint8Array | null {
  if ([1, 3, 6].includes(text.length % 8)) return null;
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const v = digitValue(text.charCodeAt(i));
    if (v < 0) return null;
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return (acc & ((1 << bits) - 1)) === 0 ? out : null;
}

/** The value of one Base32 Extended Hex digit ('0'-'9', 'a'-'v' in either case), or -1. */
function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x76 ? lower - 0x61 + 10 : -1;
}

/** Byte-wise comparison of two hashes (RFC 5155 §3.1.7: the hash order of the NSEC3 chain). */
export function compareHashes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
