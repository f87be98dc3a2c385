// Zones validation leaves alone by default, as Unbound does with its default local zones: the
// special-use names (RFC 6761 §6.2-§6.4, RFC 6762 §3, RFC 7686, RFC 8375), which the root proves
// not to exist, and the reverse zones of private, loopback, link-local and documentation
// addresses (RFC 6303 §4, RFC 7793 §2), which are not delegated. Plus the operator's negative
// trust anchors (RFC 7646).
import { lowerName } from './names.js';
import { SPECIAL_ZONES } from '../route/special.js';
import { presentationToWire } from '../wire/name.js';

/** The special-use zones dnsfwd answers itself (route/special.ts: localhost, local, invalid), and those it forwards. */
const SPECIAL = [...SPECIAL_ZONES.map((z) => z.zone), 'test', 'onion', 'home.arpa'];

const REVERSE_V4 = [
  '0.in-addr.arpa',
  '10.in-addr.arpa',
  '127.in-addr.arpa',
  '254.169.in-addr.arpa',
  ...Array.from({ length: 16 }, (_, i) => `${16 + i}.172.in-addr.arpa`),
  '168.192.in-addr.arpa',
  '2.0.192.in-addr.arpa',
  '100.51.198.in-addr.arpa',
  '113.0.203.in-addr.arpa',
  '255.255.255.255.in-addr.arpa',
  ...Array.from({ length: 64 }, (_, i) => `${64 + i}.100.in-addr.arpa`),
];

const ZEROS = Array(31).fill('0').join('.');
const REVERSE_V6 = [
  `0.${ZEROS}.ip6.arpa`, // ::
  `1.${ZEROS}.ip6.arpa`, // ::1
  'd.f.ip6.arpa', // fd00::/8, unique local (fc00::/7's half in use)
  'c.f.ip6.arpa',
  '8.e.f.ip6.arpa', // fe80::/10, link-local
  '9.e.f.ip6.arpa',
  'a.e.f.ip6.arpa',
  'b.e.f.ip6.arpa',
  '8.b.d.0.1.0.0.2.ip6.arpa', // 2001:db8::/32, documentation
];

/** The zones insecure by default, in presentation form. */
export const INSECURE_BY_DEFAULT: readonly string[] = [...SPECIAL, ...REVERSE_V4, ...REVERSE_V6];

/**
 * Whether `name` (wire) is at or below one of `zones` (presentation, no trailing dot): asked several
 * times for each validated answer, so a set of the zones' wire forms is looked up once per label
 * of the name, rather than every zone compared with it.
 */
export function insecureTest(zones: readonly string[]): (name: Uint8Array) => boolean {
  const keys = new Set(zones.map((z) => wireKey(presentationToWire(z))));
  return (name) => {
    const key = wireKey(name);
    for (let pos = 0; pos < name.length && name[pos] !== 0; pos += name[pos]! + 1) if (keys.has(key.slice(pos))) return true;
    return false;
  };
}

/** A wire name in lower case, as a string of its octets. */
function wireKey(name: Uint8Array): string {
  return Buffer.from(lowerName(name)).toString('latin1');
}
