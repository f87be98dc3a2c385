// Domain names in wire format (RFC 1035 §3.1): ASCII case folding (RFC 4343 §3: only 'A'..'Z'
// fold), and the presentation form of an uncompressed name (RFC 1035 §5.1 `\DDD` escapes).

/**
 * `c` folded to lower case if it is 'A'..'Z'. Safe on every byte of a wire name: label length
 * bytes are at most 63, never in 'A'..'Z' (0x41..0x5a).
 */
export function lowerAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** The (already validated) uncompressed name at `off` in presentation form, lower case, no trailing dot. */
export function nameText(b: Uint8Array, off: number): string {
  const labels: string[] = [];
  let pos = off;
  for (let len = b[pos]!; len !== 0; len = b[pos]!) {
    labels.push(labelText(b, pos + 1, pos + 1 + len));
    pos += len + 1;
  }
  return labels.join('.');
}

function labelText(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const c = lowerAscii(b[i]!);
    if (c === 0x2e || c === 0x5c || c <= 0x20 || c >= 0x7f) {
      s += '\\' + String(c).padStart(3, '0'); // RFC 1035 §5.1 \DDD
    } else {
      s += String.fromCharCode(c);
    }
  }
  return s;
}

/** A presentation name (`\DDD` escapes allowed, '' for the root) in wire format, root label included. */
export function presentationToWire(name: string): Uint8Array {
  const bytes: number[] = [];
  for (const label of name === '' ? [] : name.split('.')) {
    const text = label.replace(/\\(\d{3})/g, (_, ddd: string) => String.fromCharCode(Number(ddd)));
    bytes.push(text.length);
    for (let i = 0; i < text.length; i++) bytes.push(text.charCodeAt(i));
  }
  bytes.push(0);
  return Uint8Array.from(bytes);
}
