// Real NSEC/NSEC3 chains for the denial tests: small zones signed by ldns-signzone (Debian's
// ldnsutils), their NSEC and NSEC3 lines read into `Rr`s, and ldns-nsec3-hash for hashes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBitmap } from '../../src/dnssec/bitmap.js';
import { type Rr, TYPE_NSEC, TYPE_NSEC3 } from '../../src/dnssec/types.js';
import { presentationToWire } from '../../src/wire/name.js';
import { base32hexDecode } from '../../src/dnssec/nsec3-hash.js';
import { requireTool } from './tools.js';

const TYPE_NUMBERS: Readonly<Record<string, number>> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, DNAME: 39, DS: 43,
  RRSIG: 46, NSEC: 47, DNSKEY: 48, NSEC3: 50, NSEC3PARAM: 51, ZONEMD: 63,
};

/** A type mnemonic or TYPEnnn (RFC 3597 §5) as its number. */
export function typeNumber(name: string): number {
  const upper = name.toUpperCase();
  const known = TYPE_NUMBERS[upper];
  if (known !== undefined) return known;
  const m = /^TYPE(\d+)$/.exec(upper);
  if (!m) throw new Error(`unknown type ${name}`);
  return Number(m[1]);
}

/** A presentation name, trailing dot or not, in wire format. */
export function wire(name: string): Uint8Array {
  return presentationToWire(name.replace(/\.$/, ''));
}

function hex(text: string): Uint8Array {
  return text === '-' ? new Uint8Array(0) : Uint8Array.from(Buffer.from(text, 'hex'));
}

/** One NSEC or NSEC3 line of a zone file (`owner TTL IN NSEC ...`) as an Rr; null for other lines. */
export function denialRecord(line: string): Rr | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 5 || f[2] !== 'IN' || (f[3] !== 'NSEC' && f[3] !== 'NSEC3')) return null;
  const [owner, ttl] = [wire(f[0]!), Number(f[1])];
  if (f[3] === 'NSEC') {
    const next = wire(f[4]!);
    const map = encodeBitmap(f.slice(5).map(typeNumber));
    return { owner, type: TYPE_NSEC, class: 1, ttl, rdata: Uint8Array.from([...next, ...map]) };
  }
  const [alg, flags, iterations, salt, nextText] = [Number(f[4]), Number(f[5]), Number(f[6]), hex(f[7]!), f[8]!];
  const next = base32hexDecode(nextText);
  if (next === null) throw new Error(`bad next hash in ${line}`);
  const map = encodeBitmap(f.slice(9).map(typeNumber));
  const rdata = [alg, flags, iterations >> 8, iterations & 0xff, salt.length, ...salt, next.length, ...next, ...map];
  return { owner, type: TYPE_NSEC3, class: 1, ttl, rdata: Uint8Array.from(rdata) };
}

export interface Nsec3Signing {
  readonly iterations: number;
  /** Hex, or '-' for none. */
  readonly salt: string;
  readonly optOut?: boolean;
}

/**
 * Signs `zoneText` (origin `origin`) with a fresh ED25519 key: plain NSEC, or NSEC3 with the given
 * parameters. Returns the signed zone's NSEC or NSEC3 records.
 */
export function signZone(origin: string, zoneText: string, nsec3?: Nsec3Signing): Rr[] {
  const keygen = requireTool('ldns-keygen');
  const signer = requireTool('ldns-signzone');
  const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-denial-'));
  try {
    writeFileSync(join(dir, 'zone'), zoneText);
    const key = execFileSync(keygen, ['-a', 'ED25519', origin], { cwd: dir, encoding: 'utf8' }).trim();
    const args = ['-f', 'signed', '-o', origin];
    if (nsec3) args.push('-n', '-t', String(nsec3.iterations), '-s', nsec3.salt === '-' ? '' : nsec3.salt);
    if (nsec3?.optOut) args.push('-p');
    execFileSync(signer, [...args, 'zone', key], { cwd: dir });
    const lines = readFileSync(join(dir, 'signed'), 'utf8').split('\n');
    return lines.map(denialRecord).filter((r): r is Rr => r !== null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The NSEC3 hash of `name` as the real ldns-nsec3-hash prints it (Base32hex, lower case, no dot). */
export function ldnsNsec3Hash(name: string, salt: string, iterations: number): string {
  const tool = requireTool('ldns-nsec3-hash');
  const args = ['-t', String(iterations), ...(salt === '-' || salt === '' ? [] : ['-s', salt]), name];
  return execFileSync(tool, args, { encoding: 'utf8' }).trim().replace(/\.$/, '');
}
