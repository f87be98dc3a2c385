// systemd-networkd DHCPv4 lease files (`/run/systemd/netif/leases/<ifindex>`) in both forms networkd
// writes, `KEY=value` lines and (newer releases) one JSON object → nameservers and domains. Pure.
import { isIP } from 'node:net';
import { type Endpoint, parseEndpoint, type ParseResult, uniqueEndpoints } from '../../address.js';
import type { ParseOutcome } from '../parse-outcome.js';
import { linkDomains, splitNames } from './domains.js';
import { type NetworkdFields, readJsonLease } from './networkd-json.js';

export interface NetworkdLease {
  readonly format: 'env' | 'json';
  /** The leased address (`ADDRESS=`, `"Address"`). */
  readonly address?: string;
  /** `DNS=` / `"Servers":{"DNS":[…]}`: port 53, file order, without duplicates. */
  readonly servers: readonly Endpoint[];
  /** `DOMAINNAME=` / `"Domain_Name"` (option 15) as written. */
  readonly domainName?: string;
  /** `DOMAIN_SEARCH_LIST=` / `"Domain_Search_List"` (option 119) as written. */
  readonly searchDomains?: readonly string[];
  /** Both as the link's domains: lower case, no trailing dot, each once. */
  readonly domains: readonly string[];
}

export type NetworkdParse =
  | { readonly ok: true; readonly lease: NetworkdLease; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** The link every networkd lease reports: one DHCPv4 lease per file; the source adds the file name (the ifindex). */
const LINK = '4';
/**
 * Keys only the link state file (`/run/systemd/netif/links/<ifindex>`) has. Its `DNS=` is the
 * link's configured servers: the .network file's static `DNS=` (say 127.0.0.1, this daemon) mixed
 * with the lease's or in place of them. dnsfwd follows what the DHCP server sent: the lease files.
 */
const LINK_STATE_KEYS = ['ADMIN_STATE', 'OPER_STATE', 'NETWORK_FILE', 'DHCP_LEASE'];
/** Where a skipped domain came from, for its warning. */
const DOMAIN_KEYS = { env: 'DOMAINNAME/DOMAIN_SEARCH_LIST', json: 'Domain_Name/Domain_Search_List' };

export function parseNetworkdLease(text: string): NetworkdParse {
  if (text.length === 0) return { ok: false, reason: 'empty file' };
  const warnings: string[] = [];
  const json = text.trimStart().startsWith('{');
  const fields = json ? readJsonLease(text, warnings) : readEnvLease(text, warnings);
  if (!fields.ok) return fields;
  const { address, servers, domainName, searchDomains } = fields.value;
  const lease: NetworkdLease = {
    format: json ? 'json' : 'env',
    ...(address !== undefined ? { address } : {}),
    servers: uniqueEndpoints(servers),
    ...(domainName !== undefined ? { domainName } : {}),
    ...(searchDomains !== undefined ? { searchDomains } : {}),
    domains: linkDomains([...splitNames(domainName), ...(searchDomains ?? [])], warnings, DOMAIN_KEYS[json ? 'json' : 'env']),
  };
  return { ok: true, lease, warnings };
}

/**
 * The lease-file source's view of a networkd lease file. No expiry: the file records the lease
 * time relative to an acquisition it does not date, and networkd replaces it (atomic rename) on
 * each renewal and deletes it when the link loses its lease.
 */
export function networkdOutcome(text: string): ParseOutcome {
  const r = parseNetworkdLease(text);
  if (!r.ok) return r;
  const { servers, domains } = r.lease;
  return { ok: true, leases: [{ link: LINK, servers, ...(domains.length > 0 ? { domains } : {}) }], warnings: r.warnings };
}

/** `KEY=value` lines (systemd's env-file format: `#` and `;` comments, optional quotes), last key wins. */
function readEnvLease(text: string, warnings: string[]): ParseResult<NetworkdFields> {
  const env = new Map<string, { value: string; line: number }>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env.set(m[1]!, { value: unquote(m[2]!.trim()), line: i + 1 });
    else warnings.push(`line ${i + 1}: not a KEY=value line`);
  });
  const stateKey = LINK_STATE_KEYS.find((k) => env.has(k));
  if (stateKey !== undefined) {
    return {
      ok: false,
      reason: `a networkd link state file (it has ${stateKey}=), not a lease file: watch /run/systemd/netif/leases/*`,
    };
  }
  if (!env.has('ADDRESS') && !env.has('DNS')) return { ok: false, reason: 'no ADDRESS= or DNS= line: not a networkd lease file' };
  const dns = env.get('DNS');
  const domainName = env.get('DOMAINNAME')?.value;
  const search = env.get('DOMAIN_SEARCH_LIST')?.value.split(/\s+/).filter((s) => s !== '');
  const address = env.get('ADDRESS')?.value;
  return {
    ok: true,
    value: {
      ...(address !== undefined ? { address } : {}),
      servers: dns === undefined ? [] : nameservers(dns.value, dns.line, warnings),
      ...(domainName !== undefined && domainName !== '' ? { domainName } : {}),
      ...(search !== undefined && search.length > 0 ? { searchDomains: search } : {}),
    },
  };
}

function unquote(v: string): string {
  return /^(["']).*\1$/.test(v) && v.length >= 2 ? v.slice(1, -1) : v;
}

function nameservers(value: string, line: number, warnings: string[]): Endpoint[] {
  return value
    .split(/\s+/)
    .filter((w) => w !== '')
    .flatMap((w) => {
      const parsed = isIP(w) === 0 ? undefined : parseEndpoint(w, 53);
      if (parsed?.ok) return [parsed.value];
      warnings.push(`line ${line}: nameserver "${w}" is not an IP address`);
      return [];
    });
}
