// dhcpcd lease files (`/var/lib/dhcpcd/<iface>.lease`): the DHCPACK exactly as received, one per
// file → the lease's nameservers and domains. Pure: the file's bytes in, a value out (DESIGN.md §4).
import { type Endpoint, uniqueEndpoints } from '../../address.js';
import type { ParseOutcome } from '../parse-outcome.js';
import { type DhcpMessage, ipv4, OPTION, readDhcpMessage } from './dhcp-message.js';
import { decodeDomainSearch } from './domain-search.js';
import { linkDomains, splitNames } from './domains.js';

export interface DhcpcdLease {
  /** Option 53 (RFC 2132 §9.6): 5 is DHCPACK, the only kind dhcpcd writes. */
  readonly messageType?: number;
  /** `yiaddr`: the leased address. */
  readonly address: string;
  /** `chaddr`: the client's hardware address (the file name says which interface it is). */
  readonly hardwareAddress: string;
  /** Option 54 (RFC 2132 §9.7). */
  readonly serverId?: string;
  /** Option 6 (RFC 2132 §3.8), port 53, message order, without duplicates. */
  readonly servers: readonly Endpoint[];
  /** Option 15 (RFC 2132 §3.17) as sent. */
  readonly domainName?: string;
  /** Option 119 (RFC 3397), decoded. */
  readonly searchDomains?: readonly string[];
  /** Options 15 and 119 as the link's domains: lower case, no trailing dot, each once. */
  readonly domains: readonly string[];
  /**
   * Option 51 (RFC 2132 §9.2) in seconds, counted from when the ACK arrived, which the file does
   * not record; absent when the server sent none or 0xffffffff (infinite).
   */
  readonly leaseSeconds?: number;
}

export type DhcpcdParse =
  | { readonly ok: true; readonly lease: DhcpcdLease; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** The link every dhcpcd lease reports: one DHCPv4 lease per file, and the source adds the file name. */
const LINK = '4';
const INFINITE_LEASE = 0xffffffff;

export function parseDhcpcdLease(bytes: Uint8Array): DhcpcdParse {
  if (bytes.length === 0) return { ok: false, reason: 'empty file' };
  const message = readDhcpMessage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  if (!message.ok) return message;
  const warnings: string[] = [];
  const { options } = message.value;
  const domainName = stringOption(options.get(OPTION.domainName));
  const searchDomains = searchOption(options.get(OPTION.domainSearch), warnings);
  const lease: DhcpcdLease = {
    ...header(message.value),
    servers: nameservers(options.get(OPTION.domainNameServers), warnings),
    ...(domainName !== undefined ? { domainName } : {}),
    ...(searchDomains !== undefined ? { searchDomains } : {}),
    domains: linkDomains([...splitNames(domainName), ...(searchDomains ?? [])], warnings, 'options 15/119'),
    ...leaseTime(options.get(OPTION.leaseTime), warnings),
  };
  return { ok: true, lease, warnings };
}

/**
 * The lease-file source's view of a dhcpcd file, read as `latin1` text (one char per byte). It has
 * no expiry: the file holds only the lease time relative to an arrival it does not record, and
 * dhcpcd rewrites the file on every renewal and deletes it when the lease expires or is released.
 */
export function dhcpcdOutcome(text: string): ParseOutcome {
  const r = parseDhcpcdLease(Buffer.from(text, 'latin1'));
  if (!r.ok) return r;
  const { servers, domains } = r.lease;
  return { ok: true, leases: [{ link: LINK, servers, ...(domains.length > 0 ? { domains } : {}) }], warnings: r.warnings };
}

function header(m: DhcpMessage): Pick<DhcpcdLease, 'messageType' | 'address' | 'hardwareAddress' | 'serverId'> {
  const type = m.options.get(OPTION.messageType);
  const serverId = m.options.get(OPTION.serverId);
  return {
    ...(type?.length === 1 ? { messageType: type[0]! } : {}),
    address: m.yourAddress,
    hardwareAddress: m.hardwareAddress,
    ...(serverId?.length === 4 ? { serverId: ipv4(serverId, 0) } : {}),
  };
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

function leaseTime(data: Buffer | undefined, warnings: string[]): Pick<DhcpcdLease, 'leaseSeconds'> {
  if (data === undefined) return {};
  if (data.length !== 4) {
    warnings.push(`option 51: length ${data.length}, expected 4`);
    return {};
  }
  const seconds = data.readUInt32BE(0);
  return seconds === INFINITE_LEASE ? {} : { leaseSeconds: seconds };
}
