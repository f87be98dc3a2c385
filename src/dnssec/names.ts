// Domain names as DNSSEC compares them (RFC 4034 §6.1): wire format, uncompressed, case-insensitive
// (RFC 4343), ordered label by label from the root.
import { lowerAscii } from '../wire/name.js';

/** `name` with 'A'..'Z' folded to lower case: the canonical form (RFC 4034 §6.2). A new array. */
export function lowerName(name: Uint8Array): Uint8Array {
  const out = new Uint8Array(name.length);
  for (let i = 0; i < name.length; i++) out[i] = lowerAscii(name[i]!);
  return out;
}

/** The offset of each label's length byte, the root label left out: `www.example.` → [0, 4]. */
export function labelOffsets(name: Uint8Array): number[] {
  const out: number[] = [];
  for (let pos = 0; name[pos]! !== 0; pos += name[pos]! + 1) out.push(pos);
  return out;
}

/** Labels in `name`, the root not counted, as RRSIG's Labels field counts them (RFC 4034 §3.1.3). */
export function labelCount(name: Uint8Array): number {
  return labelOffsets(name).length;
}

/** Whether `name` starts with the wildcard label `*` (RFC 4592). */
export function isWildcard(name: Uint8Array): boolean {
  return name[0] === 1 && name[1] === 0x2a;
}

/** Case-insensitive equality of two wire names. */
export function nameEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (lowerAscii(a[i]!) !== lowerAscii(b[i]!)) return false;
  return true;
}

/** `name` without its first `n` labels (the root for n ≥ the label count). A view, not a copy. */
export function stripLabels(name: Uint8Array, n: number): Uint8Array {
  let pos = 0;
  for (let i = 0; i < n && name[pos]! !== 0; i++) pos += name[pos]! + 1;
  return name.subarray(pos);
}

/** The parent of `name`; the root's parent is the root. */
export function parentName(name: Uint8Array): Uint8Array {
  return stripLabels(name, 1);
}

/** Whether `name` is `zone` or below it (case-insensitive, label boundaries respected). */
export function isSubdomain(name: Uint8Array, zone: Uint8Array): boolean {
  const extra = labelCount(name) - labelCount(zone);
  return extra >= 0 && nameEquals(stripLabels(name, extra), zone);
}

/**
 * RFC 4034 §6.1 canonical order: negative when `a` sorts before `b`, 0 when equal (ignoring case),
 * positive after. Labels are compared from the root, each as lower-cased octet strings, a shorter
 * label before a longer one that it is a prefix of.
 */
export function compareNames(a: Uint8Array, b: Uint8Array): number {
  const la = labelOffsets(a);
  const lb = labelOffsets(b);
  for (let i = la.length - 1, j = lb.length - 1; i >= 0 && j >= 0; i--, j--) {
    const c = compareLabels(a, la[i]!, b, lb[j]!);
    if (c !== 0) return c;
  }
  return la.length - lb.length;
}

function compareLabels(a: Uint8Array, pa: number, b: Uint8Array, pb: number): number {
  const na = a[pa]!;
  const nb = b[pb]!;
  for (let k = 1; k <= na && k <= nb; k++) {
    const d = lowerAscii(a[pa + k]!) - lowerAscii(b[pb + k]!);
    if (d !== 0) return d;
  }
  return na - nb;
}
