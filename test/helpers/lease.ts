// Lease files for tests: dhclient-style blocks, and the one lease a parser reads from a file.
import { formatEndpoint } from '../../src/address.js';
import type { LeaseServers } from '../../src/sources/lease-choice.js';
import type { ParseOutcome } from '../../src/sources/parse-outcome.js';
export function leaseBlock(servers: string[], iface = 'eth0', domain = 'vagrant.test'): string {
  const d = new Date(Date.now() + 86_400_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const when = `${d.getUTCDay()} ${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return [
    'lease {',
    `  interface "${iface}";`,
    '  fixed-address 192.168.121.168;',
    '  option subnet-mask 255.255.255.0;',
    '  option routers 192.168.121.1;',
    `  option domain-name-servers ${servers.join(',')};`,
    `  option domain-name "${domain}";`,
    `  renew ${when};`,
    `  rebind ${when};`,
    `  expire ${when};`,
    '}',
    '',
  ].join('\n');
}

/** The one lease of a file that parses (dhcpcd, networkd, resolv.conf files hold one), and the warnings. */
export function oneLease(r: ParseOutcome): { lease: LeaseServers; warnings: readonly string[] } {
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  if (r.leases.length !== 1) throw new Error(`expected one lease, got ${r.leases.length}`);
  return { lease: r.leases[0]!, warnings: r.warnings ?? [] };
}

/** A parsed lease's servers as `ADDR:PORT`. */
export const hosts = (r: { lease: LeaseServers }): string[] => r.lease.servers.map(formatEndpoint);
