// The nameservers a DHCP client's state file names now, read independently of dnsfwd's parsers:
// the test's own view of "the lease changed", against which dnsfwd's following is timed.
import { readFileSync } from 'node:fs';

/** dhclient: the last `option domain-name-servers` in the (appended) lease file. */
export function dhclientServers(text: string): string[] {
  const all = [...text.matchAll(/option domain-name-servers ([^;]+);/g)];
  return all.length ? all[all.length - 1]![1]!.split(',').map((s) => s.trim()) : [];
}

/** dhcpcd: option 6 of the raw DHCP message (magic cookie at 236, options from 240). */
export function dhcpcdServers(msg: Buffer): string[] {
  if (msg.length < 240 || msg.readUInt32BE(236) !== 0x63825363) return [];
  for (let i = 240; i < msg.length; ) {
    const code = msg[i]!;
    if (code === 0) {
      i++;
      continue;
    }
    if (code === 255 || i + 1 >= msg.length) break;
    const len = msg[i + 1]!;
    if (code === 6) {
      const out: string[] = [];
      for (let j = i + 2; j + 4 <= i + 2 + len; j += 4) out.push([...msg.subarray(j, j + 4)].join('.'));
      return out;
    }
    i += 2 + len;
  }
  return [];
}

/** resolv.conf format (udhcpc's script output): the `nameserver` lines. */
export function resolvConfServers(text: string): string[] {
  return [...text.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]!);
}

/** `parse` applied to `file`, or [] while it is missing. */
export function readServers(file: string, parse: (b: Buffer) => string[]): string[] {
  try {
    return parse(readFileSync(file));
  } catch {
    return [];
  }
}
