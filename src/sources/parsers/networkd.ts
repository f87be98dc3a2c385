// systemd-networkd DHCPv4 lease files (`/run/systemd/netif/leases/<ifindex>`) in both forms networkd
// writes, `KEY=value` lines and (newer releases) one JSON object → the lease's nameservers and
// domains. No expiry: the file records the lease time relative to an acquisition it does not date,
// and networkd replaces it (atomic rename) on each renewal and deletes it when the link loses its
// lease. Pure: text in, a value out.
import { type ParseResult, uniqueEndpoints } from '../../address.js';
import type { ParseOutcome } from '../parse-outcome.js';
import { lease, linkDomains, nameserver } from './lease-values.js';
import { type NetworkdFields, readJsonLease } from './networkd-json.js';

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

export function parseNetworkd(text: string): ParseOutcome {
  if (text.length === 0) return { ok: false, reason: 'empty file' };
  const warnings: string[] = [];
  const json = text.trimStart().startsWith('{');
  const fields = json ? readJsonLease(text, warnings) : readEnvLease(text, warnings);
  if (!fields.ok) return fields;
  const domains = linkDomains(fields.value.domainNames, warnings, DOMAIN_KEYS[json ? 'json' : 'env']);
  return { ok: true, leases: [lease(LINK, uniqueEndpoints(fields.value.servers), domains)], warnings };
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
  const words = (key: string) => env.get(key)?.value.split(/\s+/).filter((s) => s !== '') ?? [];
  return {
    ok: true,
    value: {
      servers: dns === undefined ? [] : words('DNS').flatMap((w) => nameserver(w, `line ${dns.line}`, warnings)),
      domainNames: [...words('DOMAINNAME'), ...words('DOMAIN_SEARCH_LIST')],
    },
  };
}

function unquote(v: string): string {
  return /^(["']).*\1$/.test(v) && v.length >= 2 ? v.slice(1, -1) : v;
}
