// A link's own domains as the parsers hand them over: the domain name and search list a lease or
// resolv.conf names, lower case, without the trailing dot, each once, in file order.

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
