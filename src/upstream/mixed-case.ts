// 0x20 letter-case randomisation (draft-vixie-dnsext-dns0x20): each letter of the name dnsfwd asks
// upstream gets a random case, and a reply must spell the question exactly so. A blind forger must
// guess one more bit per letter besides the ID and the source port. Random bits come from the
// CSPRNG in batches, as the IDs do (ids.ts).
import { randomFillSync } from 'node:crypto';

const BATCH = 4096;
const pool = new Uint8Array(BATCH);
let next = BATCH;

function randomByte(): number {
  if (next === BATCH) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]!;
}

/**
 * Gives each ASCII letter in `name[start, end)` (a wire-format name) a random case. Length bytes
 * (0..63) are never letters, so the name's bytes are walked as they are.
 */
export function randomiseCase(name: Uint8Array, start: number, end: number): void {
  let bits = 0;
  let left = 0;
  for (let i = start; i < end; i++) {
    const c = name[i]! | 0x20; // lower case, for letters
    if (c < 0x61 || c > 0x7a) continue;
    if (left === 0) {
      bits = randomByte();
      left = 8;
    }
    name[i] = bits & 1 ? c & 0xdf : c;
    bits >>>= 1;
    left--;
  }
}
