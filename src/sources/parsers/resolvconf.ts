// resolv.conf-format files (resolv.conf(5)) as one link's lease: udhcpc's `RESOLV_CONF=` file,
// NetworkManager's no-stub copy… → their nameservers (all of them: glibc uses 3) and the domains
// of every `domain` and `search` line (a resolver keeps only the last such line as its search
// list, but each names a domain of this link). No expiry: the file is replaced whole. Pure.
import { type Endpoint, uniqueEndpoints } from '../../address.js';
import type { ParseOutcome } from '../parse-outcome.js';
import { lease, linkDomains, nameserver } from './lease-values.js';

/** The link of the one lease a resolv.conf file holds; the source adds the file name. */
const LINK = 'resolv';

export function parseResolvConf(text: string): ParseOutcome {
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
      if (args[0] === undefined) warnings.push(`${where}: nameserver without an address`);
      else servers.push(...nameserver(args[0], where, warnings));
    } else if (keyword === 'search' || keyword === 'domain') {
      names.push(linkDomains(args, warnings, where));
    }
    // Other lines (options, sortlist, lookup…) say nothing about servers or domains.
  });
  if (nameserverLines === 0) return { ok: false, reason: 'no nameserver lines' };
  return { ok: true, leases: [lease(LINK, uniqueEndpoints(servers), [...new Set(names.flat())])], warnings };
}
