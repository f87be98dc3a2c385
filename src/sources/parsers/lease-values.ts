// What every parser hands over for a lease: its nameservers (IP literals, port 53) and its link's
// own domains (the domain name and search list it names: lower case, without the trailing dot,
// each once, in file order). A value that is neither is skipped with a warning saying where.
import { isIP } from 'node:net';
import { parseEndpoint, type Endpoint } from '../../address.js';
import type { LeaseServers } from '../lease-choice.js';

/** At most 253 characters in text form (RFC 1035 §2.3.4: 255 octets on the wire). */
const MAX_NAME = 253;
/** Letters, digits, hyphens and underscores (SRV-style labels), 1 to 63 per label (RFC 1035 §2.3.4). */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * `names` as a link's domains; a name that is not a hostname-style domain is skipped with a
 * warning naming `where`. The root (`.`) is no domain of a link and is skipped quietly, like an
 * empty name (`search .` means "no search list").
 */
export function linkDomains(names: Iterable<string>, warnings: string[], where: string): string[] {
  const out: string[] = [];
  for (const name of names) {
    if (name === '' || name === '.') continue;
    const domain = name.toLowerCase().replace(/\.$/, '');
    if (!isDomainName(domain)) warnings.push(`${where}: domain "${name}" is not a domain name`);
    else if (!out.includes(domain)) out.push(domain);
  }
  return out;
}

/**
 * The names in a domain-name option: one name (RFC 2132 §3.17), but some servers send several
 * separated by spaces, which resolvers read as a search list.
 */
export function splitNames(text: string | undefined): string[] {
  return text === undefined ? [] : text.split(/\s+/).filter((s) => s !== '');
}

function isDomainName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME && name.split('.').every((l) => LABEL.test(l));
}

/**
 * The nameserver `text` names, as a one-item list, port 53; none, with the warning
 * `WHERE: WHAT is not an IP address`, when it is not an IP literal (a port or a host name is not
 * something these files hold).
 */
export function nameserver(text: string | undefined, where: string, warnings: string[], what = `nameserver "${text}"`): Endpoint[] {
  const parsed = text === undefined || isIP(text) === 0 ? undefined : parseEndpoint(text, 53);
  if (parsed?.ok) return [parsed.value];
  warnings.push(`${where}: ${what} is not an IP address`);
  return [];
}

/** A lease as the source sees it; `domains` and `expires` only when there are any. */
export function lease(link: string, servers: readonly Endpoint[], domains: readonly string[], expires?: number): LeaseServers {
  return { link, servers, ...(expires !== undefined ? { expires } : {}), ...(domains.length > 0 ? { domains } : {}) };
}
