// Record types and RCODEs by name, for logs (RFC 1035, RFC 3596, RFC 2782, RFC 4034, RFC 9460);
// a number without a name is written as RFC 3597 writes unknown types: TYPE65400, RCODE11. Read
// back from an operator's text (`dnsfwd explain NAME TYPE`) the same way.
const TYPES: Readonly<Record<number, string>> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV',
  35: 'NAPTR', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 50: 'NSEC3', 52: 'TLSA', 64: 'SVCB', 65: 'HTTPS',
  251: 'IXFR', 252: 'AXFR', 255: 'ANY', 257: 'CAA',
};
const RCODES: Readonly<Record<number, string>> = { 0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };

export function typeName(type: number): string {
  return TYPES[type] ?? `TYPE${type}`;
}

export function rcodeName(rcode: number): string {
  return RCODES[rcode] ?? `RCODE${rcode}`;
}

/** The type `text` names: a mnemonic above (any case) or TYPE1 to TYPE65535; null for anything else. */
export function typeNumber(text: string): number | null {
  const upper = text.toUpperCase();
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (m) {
    const n = Number(m[1]);
    return n >= 1 && n <= 0xffff ? n : null;
  }
  const found = Object.entries(TYPES).find(([, name]) => name === upper);
  return found ? Number(found[0]) : null;
}
