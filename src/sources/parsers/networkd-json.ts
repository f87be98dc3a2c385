// The JSON form of a systemd-networkd DHCPv4 lease file, as systemd's `dhcp_lease_save()` writes it
// since the lease became JSON: one object, addresses as byte arrays (`"Servers":{"DNS":[[10,0,0,1]]}`).
import { isIP } from 'node:net';
import type { Endpoint, ParseResult } from '../../address.js';
import { nameserver, splitNames } from './lease-values.js';

/** What either form of a networkd lease file says: its nameservers, and its domain names as written. */
export interface NetworkdFields {
  readonly servers: Endpoint[];
  /** The domain name's names (option 15), then the search list (option 119). */
  readonly domainNames: string[];
}

type JsonObject = { readonly [key: string]: unknown };

/** Reads the JSON form; `text` starts with "{" (networkd.ts looks before calling). */
export function readJsonLease(text: string, warnings: string[]): ParseResult<NetworkdFields> {
  let root: JsonObject;
  try {
    root = JSON.parse(text) as JsonObject; // an object: the caller sends only text that starts with "{"
  } catch (err) {
    return { ok: false, reason: `not valid JSON (cut off?): ${(err as Error).message}` };
  }
  const servers = isObject(root['Servers']) ? root['Servers'] : undefined;
  if (!('Address' in root) && servers === undefined && !('DNS' in root)) {
    return { ok: false, reason: 'no "Address" or "Servers" in the JSON: not a networkd lease file' };
  }
  const dns =
    servers !== undefined && 'DNS' in servers
      ? { key: 'Servers.DNS', value: servers['DNS'] }
      : { key: 'DNS', value: root['DNS'] };
  const domainName = typeof root['Domain_Name'] === 'string' ? root['Domain_Name'] : undefined;
  const searchDomains = stringList(root['Domain_Search_List'], 'Domain_Search_List', warnings);
  return {
    ok: true,
    value: {
      servers: dns.value === undefined ? [] : nameservers(dns.value, dns.key, warnings),
      domainNames: [...splitNames(domainName), ...(searchDomains ?? [])],
    },
  };
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nameservers(value: unknown, key: string, warnings: string[]): Endpoint[] {
  if (!Array.isArray(value)) {
    warnings.push(`${key} is not a list`);
    return [];
  }
  return value.flatMap((entry: unknown, i) => nameserver(addressText(entry), `${key}[${i}]`, warnings, JSON.stringify(entry)));
}

/**
 * An address as systemd writes it (4 or 16 bytes: `JSON_BUILD_IN4_ADDR`) or as text (a writer
 * that prefers strings); undefined for anything else.
 */
function addressText(v: unknown): string | undefined {
  if (typeof v === 'string') return isIP(v) === 0 ? undefined : v;
  if (!Array.isArray(v) || (v.length !== 4 && v.length !== 16)) return undefined;
  // A negative byte gives text no address parses (`10.0.0.-1`, `…:-1`); 256 or 0.5 could still parse.
  if (!v.every((b) => Number.isInteger(b) && b <= 255)) return undefined;
  const bytes = v as number[];
  if (bytes.length === 4) return bytes.join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

function stringList(v: unknown, key: string, warnings: string[]): string[] | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  warnings.push(`${key} is not a list of strings`);
  return undefined;
}
