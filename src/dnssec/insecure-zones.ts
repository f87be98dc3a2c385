// Zones validation leaves alone by default, as Unbound does with its default local zones: the
// special-use names (RFC 6761 §6.2-§6.4, RFC 6762 §3, RFC 7686, RFC 8375), which the root proves
// not to exist, and the reverse zones of private, loopback, link-local and documentation
// addresses (RFC 6303 §4, RFC 7793 §2), which are not delegated. Plus the operator's negative
// trust anchors (RFC 7646).
import { isSubdomain } from './names.js';
import { presentationToWire } from '../wire/name.js';

const SPECIAL = ['test', 'localhost', 'invalid', 'local', 'onion', 'home.arpa'];

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
 * Whether `name` (wire) is at or below one of `zones` (presentation, no trailing dot): the test
 * validation runs first for every name.
 */
export function insecureTest(zones: readonly string[]): (name: Uint8Array) => boolean {
  const wires = zones.map((z) => presentationToWire(z));
  return (name) => wires.some((z) => isSubdomain(name, z));
}
