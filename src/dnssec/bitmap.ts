// The Type Bit Maps field of NSEC and NSEC3 records (RFC 4034 §4.1.2, RFC 5155 §3.2.1): checked
// once by parseBitmap, then asked which types the owner name has.

/** A type bit map that parseBitmap accepted. Only parseBitmap makes one. */
export interface TypeBitmap {
  readonly bytes: Uint8Array;
  readonly checked: true;
}

/**
 * The bitmap in `bytes`, or null when it is malformed (RFC 4034 §4.1.2): every window block is a
 * window number, a length of 1 to 32 octets and that many octets; windows appear once each, in
 * increasing order; the blocks fill the field exactly. An empty field is valid (an NSEC3 at an
 * empty non-terminal has no types, RFC 5155 §7.1). Trailing zero octets, which signers MUST omit,
 * are accepted: they add no type, so reading them cannot change what the map says.
 */
export function parseBitmap(bytes: Uint8Array): TypeBitmap | null {
  let pos = 0;
  let lastWindow = -1;
  while (pos < bytes.length) {
    if (pos + 2 > bytes.length) return null;
    const window = bytes[pos]!;
    const len = bytes[pos + 1]!;
    if (window <= lastWindow || len < 1 || len > 32 || pos + 2 + len > bytes.length) return null;
    lastWindow = window;
    pos += 2 + len;
  }
  return { bytes, checked: true };
}

/** Whether the map has `type`'s bit set: window type>>8, octet (type&0xff)>>3, bit 7-(type&7) from the left. */
export function hasType(map: TypeBitmap, type: number): boolean {
  const b = map.bytes;
  const window = type >> 8;
  const octet = (type & 0xff) >> 3;
  for (let pos = 0; pos < b.length; pos += 2 + b[pos + 1]!) {
    if (b[pos]! !== window) continue;
    if (octet >= b[pos + 1]!) return false;
    return (b[pos + 2 + octet]! & (0x80 >> (type & 7))) !== 0;
  }
  return false;
}

/** Every type in the map, in increasing order (for logs and tests). */
export function bitmapTypes(map: TypeBitmap): number[] {
  const out: number[] = [];
  const b = map.bytes;
  for (let pos = 0; pos < b.length; pos += 2 + b[pos + 1]!) {
    const base = b[pos]! << 8;
    for (let i = 0; i < b[pos + 1]!; i++) {
      for (let bit = 0; bit < 8; bit++) if (b[pos + 2 + i]! & (0x80 >> bit)) out.push(base + i * 8 + bit);
    }
  }
  return out;
}

/** The bitmap field for `types` (RFC 4034 §4.1.2), trailing zero octets omitted. For tests and tools. */
export function encodeBitmap(types: readonly number[]): Uint8Array {
  const windows = new Map<number, Uint8Array>();
  for (const t of types) {
    const w = windows.get(t >> 8) ?? new Uint8Array(32);
    w[(t & 0xff) >> 3] |= 0x80 >> (t & 7);
    windows.set(t >> 8, w);
  }
  const out: number[] = [];
  for (const w of [...windows.keys()].sort((a, b) => a - b)) {
    const octets = windows.get(w)!;
    let len = 32;
    while (len > 0 && octets[len - 1] === 0) len--;
    out.push(w, len, ...octets.subarray(0, len));
  }
  return Uint8Array.from(out);
}
