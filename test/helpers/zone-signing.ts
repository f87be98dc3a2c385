// Keys and signed zone files made by the real ldns tools (ldns-keygen, ldns-key2ds, ldns-signzone from
// Debian's ldnsutils), for the signed test hierarchy (signed-hierarchy.ts).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from './tools.js';

/** A key pair in `dir`: its file base name (K<zone>+<alg>+<tag>), and its records in presentation format. */
export interface ZoneKey {
  readonly base: string;
  readonly tag: number;
  readonly algorithm: number;
  /** `<zone> IN DNSKEY <flags> 3 <alg> <base64>` */
  readonly dnskey: string;
  /** `<zone> IN DS <tag> <alg> 2 <HEX>`: SHA-256 digest (RFC 4509). */
  readonly ds: string;
  /** `<zone> IN DS <tag> <alg> 1 <HEX>`: SHA-1 digest (RFC 4034 §5.1.4), for the case of a zone delegated with it alone. */
  readonly dsSha1: string;
}

/** How a zone is signed. Times are seconds since the epoch (RRSIG inception/expiration, RFC 4034 §3.1.5). */
export interface SigningOptions {
  readonly inception: number;
  readonly expiration: number;
  /** NSEC3 (RFC 5155) instead of NSEC; `optOut` sets the Opt-Out flag on every NSEC3 (RFC 5155 §6). */
  readonly nsec3?: { readonly salt: string; readonly iterations: number; readonly optOut?: boolean };
}

const paths = new Map<string, string>();

/** Runs `tool` in `cwd`; resolves with its stdout, rejects with its stderr if it fails. */
function run(tool: string, args: string[], cwd: string): Promise<string> {
  // requireTool asks a shell (some 20 ms, synchronously): once per tool for the many runs of a start.
  const path = paths.get(tool) ?? paths.set(tool, requireTool(tool)).get(tool)!;
  return new Promise((resolve, reject) => {
    execFile(path, args, { cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${tool} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** One record line without its TTL, comments and extra blanks: `owner IN TYPE rdata`. */
function normalizeLine(line: string): string {
  const fields = line.trim().replace(/;.*$/, '').trim().split(/\s+/);
  const type = fields.findIndex((f, i) => i > 0 && f === 'IN');
  return [fields[0], 'IN', ...fields.slice(type + 1)].join(' ');
}

/**
 * Generates a key for `zone` (a KSK with the SEP flag, 257, when `ksk`: RFC 4034 §2.1.1) and its DS
 * records with a SHA-256 digest (ldns-key2ds -2) and a SHA-1 one (-1).
 */
export async function generateKey(dir: string, zone: string, algorithm: string, ksk: boolean, bits?: number): Promise<ZoneKey> {
  const args = ['-a', algorithm, ...(bits ? ['-b', String(bits)] : []), ...(ksk ? ['-k'] : []), zone];
  const base = (await run('ldns-keygen', args, dir)).trim();
  const m = /^K.*\+(\d+)\+(\d+)$/.exec(base);
  if (!m) throw new Error(`ldns-keygen printed no key name: ${base}`);
  const dnskey = normalizeLine(readFileSync(join(dir, `${base}.key`), 'utf8'));
  const dsOf = async (digest: string) => normalizeLine(await run('ldns-key2ds', ['-n', digest, `${base}.key`], dir)).replace(/[0-9a-f]+$/, (hex) => hex.toUpperCase());
  const [ds, dsSha1] = await Promise.all([dsOf('-2'), dsOf('-1')]);
  return { base, tag: Number(m[2]), algorithm: Number(m[1]), dnskey, ds, dsSha1 };
}

/**
 * Writes `text` as `<file>` in `dir` and signs it with `keys` into `<file>.signed` (every key's
 * DNSKEY is added to the apex; ldns-signzone signs the DNSKEY RRset with the KSKs and the rest with
 * the ZSKs). Returns the signed zone's text.
 */
export async function signZone(dir: string, file: string, zone: string, text: string, keys: readonly ZoneKey[], o: SigningOptions): Promise<string> {
  writeFileSync(join(dir, file), text);
  const args = ['-o', zone, '-i', String(o.inception), '-e', String(o.expiration), '-f', `${file}.signed`];
  if (o.nsec3) {
    args.push('-n', '-a', '1', '-t', String(o.nsec3.iterations), '-s', o.nsec3.salt);
    if (o.nsec3.optOut) args.push('-p');
  }
  await run('ldns-signzone', [...args, file, ...keys.map((k) => k.base)], dir);
  return readFileSync(join(dir, `${file}.signed`), 'utf8');
}

/**
 * `signed` with the RDATA of the one `owner TYPE` record equal to `from` replaced by `to`: its RRSIG
 * then no longer matches (RFC 4035 §5.3.3). Throws if no such record is there (a bug in the caller).
 */
export function alterRdata(signed: string, owner: string, type: string, from: string, to: string): string {
  let found = false;
  const lines = signed.split('\n').map((line) => {
    const f = line.split(/\s+/);
    if (f[0] !== owner || f[3] !== type || f.slice(4).join(' ') !== from) return line;
    found = true;
    return `${f.slice(0, 4).join('\t')}\t${to}`;
  });
  if (!found) throw new Error(`no ${owner} ${type} ${from} in the signed zone`);
  return lines.join('\n');
}
