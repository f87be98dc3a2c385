// The options of a DHCPv4 message's bytes (RFC 2131 §2), checked to be a server's reply, and
// gathered across option overload (RFC 2132 §9.3) and split long options (RFC 3396).
import type { ParseResult } from '../../address.js';

/** Offsets in the fixed header (RFC 2131 §2, figure 1). */
const OP = 0;
const SNAME = 44;
const FILE = 108;
const COOKIE = 236;
/** The fixed header and the magic cookie: the options start here (RFC 2131 §3). */
const OPTIONS_START = 240;
/** `op` of a server's message (RFC 2131 §2). */
const BOOTREPLY = 2;
/** 99.130.83.99 (RFC 2131 §3, RFC 2132 §2). */
const MAGIC_COOKIE = 0x63825363;

/** Option codes (RFC 2132; 119 is RFC 3397). */
export const OPTION = {
  pad: 0,
  domainNameServers: 6,
  domainName: 15,
  overload: 52,
  domainSearch: 119,
  end: 255,
} as const;

/** Every option's data by code; an option sent in several parts is their concatenation (RFC 3396 §7). */
export function readDhcpOptions(bytes: Buffer): ParseResult<ReadonlyMap<number, Buffer>> {
  if (bytes.length < OPTIONS_START) {
    return { ok: false, reason: `too short for a DHCP message: ${bytes.length} bytes, at least ${OPTIONS_START}` };
  }
  if (bytes[OP] !== BOOTREPLY) return { ok: false, reason: `not a DHCP reply: op is ${bytes[OP]}, expected 2 (BOOTREPLY)` };
  const cookie = bytes.readUInt32BE(COOKIE);
  if (cookie !== MAGIC_COOKIE) {
    return { ok: false, reason: `no DHCP magic cookie at offset 0xec (found 0x${cookie.toString(16).padStart(8, '0')})` };
  }
  return readAllOptions(bytes);
}

/** Dotted-quad text of the 4 bytes at `at`. */
export function ipv4(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

type Parts = Map<number, Buffer[]>;

/**
 * The options field, then `file` and `sname` when option 52 says they hold options too, in the
 * order RFC 3396 §5 gives for joining split options.
 */
function readAllOptions(bytes: Buffer): ParseResult<Map<number, Buffer>> {
  const parts: Parts = new Map();
  const main = walkOptions(bytes, OPTIONS_START, bytes.length, parts, 'options');
  if (!main.ok) return main;
  const overload = parts.get(OPTION.overload)?.[0];
  // RFC 2132 §9.3: 1 = `file` holds options, 2 = `sname` does, 3 = both; anything else is ignored.
  const flags = overload?.length === 1 ? overload[0]! : 0;
  if (flags <= 3) {
    if (flags & 1) {
      const file = walkOptions(bytes, FILE, FILE + 128, parts, 'file field');
      if (!file.ok) return file;
    }
    if (flags & 2) {
      const sname = walkOptions(bytes, SNAME, SNAME + 64, parts, 'sname field');
      if (!sname.ok) return sname;
    }
  }
  return { ok: true, value: new Map([...parts].map(([code, data]) => [code, Buffer.concat(data)])) };
}

/**
 * The options in `[start, end)` (RFC 2132 §2: code, length, data; pad and end are one byte). The
 * end option may be missing when the options fill the area exactly: dhcpcd before 9 wrote its
 * lease files without it. An option whose length runs past the area means a cut-off file.
 */
function walkOptions(bytes: Buffer, start: number, end: number, parts: Parts, area: string): ParseResult<null> {
  let i = start;
  while (i < end) {
    const code = bytes[i]!;
    if (code === OPTION.end) return { ok: true, value: null };
    if (code === OPTION.pad) {
      i++;
      continue;
    }
    const len = bytes[i + 1];
    if (len === undefined || i + 2 + len > end) {
      const at = `0x${i.toString(16)}`;
      return { ok: false, reason: `truncated: option ${code} at offset ${at} runs past the end of the ${area}` };
    }
    const data = bytes.subarray(i + 2, i + 2 + len);
    const list = parts.get(code);
    if (list) list.push(data);
    else parts.set(code, [data]);
    i += 2 + len;
  }
  return { ok: true, value: null };
}
