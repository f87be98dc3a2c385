// The kernel's count of datagrams it dropped on our UDP listening sockets (a full receive buffer,
// mostly), read from /proc/self/net/udp and /proc/self/net/udp6: the `drops` column of every
// socket whose local address and port is one of our listen endpoints. /proc/self/net shows the
// sockets of the whole network namespace: a socket of another program bound to the same address
// and port (SO_REUSEPORT) would be counted too; the sockets of --workers are the same ones.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import type { Endpoint } from '../address.js';
import { parseIp } from './ip-prefix.js';

export interface UdpSocketLine {
  readonly family: 4 | 6;
  /** The local address as a number (0 for a wildcard). */
  readonly address: bigint;
  readonly port: number;
  readonly drops: number;
}

/**
 * The sockets listed in the text of /proc/self/net/udp (`family` 4) or udp6 (6). Addresses are
 * printed as 32-bit words in the host's byte order (`order`, default the host's), ports in hex.
 * Lines that do not parse are skipped.
 */
export function parseProcUdp(text: string, family: 4 | 6, order: 'LE' | 'BE' = endianness()): UdpSocketLine[] {
  const lines = text.split('\n');
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  // The header names `tx_queue rx_queue` and `tr tm->when` as four columns where a row has two.
  const dropsAt = header.indexOf('drops') - 2;
  const out: UdpSocketLine[] = [];
  for (const line of lines.slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const drops = Number(cols[dropsAt]);
    if (local === undefined || dropsAt < 0 || !Number.isInteger(drops)) continue;
    const [hex = '', portHex = ''] = local.split(':');
    const width = family === 4 ? 8 : 32;
    if (hex.length !== width || !/^[0-9A-Fa-f]+$/.test(hex) || !/^[0-9A-Fa-f]{4}$/.test(portHex)) continue;
    let address = 0n;
    for (let i = 0; i < width; i += 8) address = (address << 32n) | wordValue(hex.slice(i, i + 8), order);
    out.push({ family, address, port: parseInt(portHex, 16), drops });
  }
  return out;
}

/** One 32-bit word as printed (%08X of the word in memory), as the address bytes in network order. */
function wordValue(hex: string, order: 'LE' | 'BE'): bigint {
  const bytes = hex.match(/../g)!;
  if (order === 'LE') bytes.reverse();
  return BigInt(`0x${bytes.join('')}`);
}

/** The drops of the sockets in `lines` bound to one of `endpoints`. */
export function dropsOn(lines: readonly UdpSocketLine[], endpoints: readonly Endpoint[]): number {
  const wanted = endpoints.flatMap((e) => {
    const ip = parseIp(e.host);
    return ip ? [{ family: e.family, value: ip.value, port: e.port }] : [];
  });
  let sum = 0;
  for (const l of lines) {
    if (wanted.some((w) => w.family === l.family && w.value === l.address && w.port === l.port)) sum += l.drops;
  }
  return sum;
}

/** The kernel's drops on the UDP sockets bound to `endpoints` now; null when procfs cannot be read. */
export function readUdpDrops(endpoints: readonly Endpoint[]): number | null {
  try {
    const v4 = parseProcUdp(readFileSync('/proc/self/net/udp', 'utf8'), 4);
    let v6: UdpSocketLine[] = [];
    try {
      v6 = parseProcUdp(readFileSync('/proc/self/net/udp6', 'utf8'), 6);
    } catch {
      // no IPv6 on this host
    }
    return dropsOn([...v4, ...v6], endpoints);
  } catch {
    return null;
  }
}
