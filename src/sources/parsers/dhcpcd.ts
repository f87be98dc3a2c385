// dhcpcd lease files (`/var/lib/dhcpcd/<iface>.lease`): the DHCPACK exactly as received, one per
// file → the lease's nameservers and domains. No expiry: the file holds the lease time relative
// to an arrival it does not record, and dhcpcd rewrites it on every renewal and deletes it when
// the lease expires or is released. Pure: the file's bytes in, a value out.
import { type Endpoint, uniqueEndpoints } from '../../address.js';
import type { ParseOutcome } from '../parse-outcome.js';
import { ipv4, OPTION, readDhcpOptions } from './dhcp-message.js';
import { decodeDomainSearch } from './domain-search.js';
import { lease, linkDomains, splitNames } from './lease-values.js';

/** The link every dhcpcd lease reports: one DHCPv4 lease per file, and the source adds the file name. */
const LINK = '4';

/** The file's bytes, or its contents read as `latin1` text (one char per byte), as the source reads it. */
export function parseDhcpcd(file: string | Uint8Array): ParseOutcome {
  const bytes = typeof file === 'string' ? Buffer.from(file, 'latin1') : Buffer.from(file.buffer, file.byteOffset, file.length);
  if (bytes.length === 0) return { ok: false, reason: 'empty file' };
  const options = readDhcpOptions(bytes);
  if (!options.ok) return options;
  const warnings: string[] = [];
  const domainName = stringOption(options.value.get(OPTION.domainName));
  const searchDomains = searchOption(options.value.get(OPTION.domainSearch), warnings);
  const servers = nameservers(options.value.get(OPTION.domainNameServers), warnings);
  const domains = linkDomains([...splitNames(domainName), ...(searchDomains ?? [])], warnings, 'options 15/119');
  return { ok: true, leases: [lease(LINK, servers, domains)], warnings };
}

/** A list of IPv4 addresses, 4 bytes each (RFC 2132 §3.8); 0.0.0.0 and broadcast are no servers. */
function nameservers(data: Buffer | undefined, warnings: string[]): Endpoint[] {
  if (data === undefined) return [];
  if (data.length % 4 !== 0) warnings.push(`option 6: length ${data.length} is not a multiple of 4; the rest is skipped`);
  const out: Endpoint[] = [];
  for (let at = 0; at + 4 <= data.length; at += 4) {
    const host = ipv4(data, at);
    if (host === '0.0.0.0' || host === '255.255.255.255') warnings.push(`option 6: nameserver ${host} is not a usable address`);
    else out.push({ host, port: 53, family: 4 });
  }
  return uniqueEndpoints(out);
}

/** NVT ASCII (RFC 2132 §2); some servers add a terminating NUL, which is not part of the name. */
function stringOption(data: Buffer | undefined): string | undefined {
  return data === undefined ? undefined : data.toString('latin1').replace(/\0+$/, '');
}

function searchOption(data: Buffer | undefined, warnings: string[]): string[] | undefined {
  if (data === undefined) return undefined;
  const names = decodeDomainSearch(data);
  if (names.ok) return names.value;
  warnings.push(`option 119 skipped: ${names.reason}`);
  return undefined;
}
