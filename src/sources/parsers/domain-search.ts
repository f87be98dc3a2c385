// The DHCP Domain Search option (119, RFC 3397 §2): DNS names in wire format (RFC 1035 §3.1),
// compressed with pointers (RFC 1035 §4.1.4) that count from the start of the option's data.
import type { ParseResult } from '../../address.js';

/** The names in `data` (the option's data, its parts already joined: RFC 3396), in order. */
export function decodeDomainSearch(data: Uint8Array): ParseResult<string[]> {
  const names: string[] = [];
  let i = 0;
  while (i < data.length) {
    const r = readName(data, i);
    if (!r.ok) return r;
    names.push(r.value.name);
    i = r.value.next;
  }
  return { ok: true, value: names };
}

/**
 * One name from `start`: labels up to the root label or a pointer. Each pointer must point before
 * the previous one (and the first before the name), so a loop cannot happen.
 */
function readName(data: Uint8Array, start: number): ParseResult<{ name: string; next: number }> {
  const labels: string[] = [];
  let i = start;
  let barrier = start;
  let next: number | undefined;
  const fail = (why: string): ParseResult<never> => ({ ok: false, reason: `name at byte ${start}: ${why}` });
  for (;;) {
    const len = data[i];
    if (len === undefined) return fail('runs past the end of the option');
    if (len === 0) return { ok: true, value: { name: labels.join('.'), next: next ?? i + 1 } };
    if ((len & 0xc0) === 0xc0) {
      const low = data[i + 1];
      if (low === undefined) return fail('pointer cut off');
      const target = ((len & 0x3f) << 8) | low;
      if (target >= barrier) return fail(`pointer to byte ${target} does not point back`);
      next ??= i + 2;
      barrier = target;
      i = target;
      continue;
    }
    if (len > 63) return fail(`label type 0x${(len & 0xc0).toString(16)} is not a length (RFC 1035 §4.1.4)`);
    if (i + 1 + len > data.length) return fail('label runs past the end of the option');
    const label = Buffer.from(data.subarray(i + 1, i + 1 + len)).toString('latin1');
    if (label.includes('.')) return fail(`label "${label}" holds a dot`);
    labels.push(label);
    i += 1 + len;
  }
}
