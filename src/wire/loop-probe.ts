// The names of dnsfwd's loop probes (upstream/loop-guard.ts): `dnsfwd-loop-probe-<12 hex>.<zone>`,
// random, so that nobody else asks them, and recognisable from the first bytes of a query, so that
// checking every client query for one costs one byte compare. A probe that reaches dnsfwd as a
// client query has gone round a loop; it is answered REFUSED and never forwarded.
import { randomBytes } from 'node:crypto';
import { HEADER_SIZE } from './header.js';
import { lowerAscii, presentationToWire } from './name.js';

const PREFIX = 'dnsfwd-loop-probe-';
const PREFIX_BYTES = Buffer.from(PREFIX, 'ascii');
/** The length of the first label of every probe name: the prefix and 12 hex digits. */
const LABEL_LENGTH = PREFIX.length + 12;
/** HINFO (RFC 1035 §3.3.2), the type CoreDNS's loop plugin asks too: rarely asked, cheap to deny. */
const TYPE_HINFO = 13;
const CLASS_IN = 1;

/** A new probe name under `zone` ('' for the root), lower case, without the trailing dot. */
export function probeName(zone: string): string {
  const label = PREFIX + randomBytes(6).toString('hex');
  return zone === '' ? label : `${label}.${zone}`;
}

/** A query for `name` HINFO, RD=1, with ID 0 (the transport writes its own) and no OPT record. */
export function probeQuery(name: string): Buffer {
  return recursiveQuery(presentationToWire(name), TYPE_HINFO);
}

/** A query for the wire name `qname`, `type`, class IN: RD=1, ID 0, no OPT record (as a stub resolver sends). */
export function recursiveQuery(qname: Uint8Array, type: number): Buffer {
  const out = Buffer.alloc(HEADER_SIZE + qname.length + 4);
  out[2] = 0x01; // RD
  out.writeUInt16BE(1, 4); // QDCOUNT
  out.set(qname, HEADER_SIZE);
  out.writeUInt16BE(type, HEADER_SIZE + qname.length);
  out.writeUInt16BE(CLASS_IN, HEADER_SIZE + qname.length + 2);
  return out;
}

/** Whether the (parsed) query in `bytes` asks for a probe name, of this process or any dnsfwd's. */
export function isProbeQuery(bytes: Uint8Array): boolean {
  // Fast path: almost no first label has exactly this length.
  if (bytes[HEADER_SIZE] !== LABEL_LENGTH) return false;
  for (let i = 0; i < PREFIX_BYTES.length; i++) {
    if (lowerAscii(bytes[HEADER_SIZE + 1 + i]!) !== PREFIX_BYTES[i]) return false;
  }
  return true;
}
