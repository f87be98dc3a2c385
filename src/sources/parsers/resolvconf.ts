// resolv.conf-format files (resolv.conf(5)) as one link's lease: udhcpc's `RESOLV_CONF=` file,
// NetworkManager's no-stub copy… → their nameservers and search domains. Pure: text in, value out.
import { isIP } from 'node:net';
import { type Endpoint, parseEndpoint, uniqueEndpoints } from '../../address.js';
import type { ParseOutcome } from '../parse-outcome.js';
import { linkDomains } from './domains.js';

export interface ResolvConf {
  /** `nameserver` lines, port 53, file order, without duplicates; all of them (glibc uses 3). */
  readonly servers: readonly Endpoint[];
  /**
   * `domain` and `search` names in file order. A resolver keeps only the last of those lines as
   * its search list, but every one of them names a domain of this link.
   */
  readonly domains: readonly string[];
}

export type ResolvConfParse =
  | { readonly ok: true; readonly conf: ResolvConf; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** The link of the one lease a resolv.conf file holds; the source adds the file name. */
const LINK = 'resolv';

export function parseResolvConf(text: string): ResolvConfParse {
  const warnings: string[] = [];
  const servers: Endpoint[] = [];
  const names: string[][] = [];
  let nameserverLines = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const where = `line ${i + 1}`;
    // `#` or `;` starts a comment; neither can appear in an address or a domain name.
    const [keyword, ...args] = raw.replace(/[#;].*$/, '').trim().split(/[ \t]+/);
    if (keyword === 'nameserver') {
      nameserverLines++;
      servers.push(...nameserver(args[0], where, warnings));
    } else if (keyword === 'search' || keyword === 'domain') {
      names.push(linkDomains(args, warnings, where));
    }
    // Other lines (options, sortlist, lookup…) say nothing about servers or domains.
  });
  if (nameserverLines === 0) return { ok: false, reason: 'no nameserver lines' };
  const domains = [...new Set(names.flat())];
  return { ok: true, conf: { servers: uniqueEndpoints(servers), domains }, warnings };
}

/** The lease-file source's view: one lease, link `resolv`, no expiry (the file is replaced whole). */
export function resolvConfOutcome(text: string): ParseOutcome {
  const r = parseResolvConf(text);
  if (!r.ok) return r;
  const { servers, domains } = r.conf;
  return { ok: true, leases: [{ link: LINK, servers, ...(domains.length > 0 ? { domains } : {}) }], warnings: r.warnings };
}

/** An IPv4 or IPv6 address, IPv6 with an optional `%scope`; resolv.conf has no port syntax. */
function nameserver(text: string | undefined, where: string, warnings: string[]): Endpoint[] {
  if (text === undefined) {
    warnings.push(`${where}: nameserver without an address`);
    return [];
  }
  const parsed = isIP(text) === 0 ? undefined : parseEndpoint(text, 53);
  if (parsed?.ok) return [parsed.value];
  warnings.push(`${where}: nameserver "${text}" is not an IP address`);
  return [];
}
