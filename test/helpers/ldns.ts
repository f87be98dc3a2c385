// Real DNSSEC signers for the tests: keys from ldns-keygen and zones signed by ldns-signzone, in a
// temporary directory (Debian's ldnsutils).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rr } from '../../src/dnssec/types.js';
import { requireTool } from './tools.js';
import { parseRr, parseZone } from './zone-text.js';

export interface ZoneKey {
  /** ldns-keygen's base name, K<zone>+<alg>+<tag>, which key2ds and signzone take. */
  readonly base: string;
  readonly algorithm: number;
  /** The key tag in the file name. */
  readonly tag: number;
  /** The DNSKEY record of the `.key` file. */
  readonly dnskey: Rr;
}

export class LdnsDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'dnsfwd-ldns-'));

  constructor() {
    for (const tool of ['ldns-keygen', 'ldns-signzone', 'ldns-key2ds']) requireTool(tool);
  }

  private run(tool: string, args: readonly string[]): string {
    return execFileSync(tool, args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A new key for `zone` (absolute): a KSK (`-k`, SEP flag) or a ZSK; RSA keys of 2048 bits. */
  key(zone: string, algorithm: string, ksk: boolean): ZoneKey {
    const args = ['-a', algorithm, ...(ksk ? ['-k'] : []), ...(algorithm.startsWith('RSA') ? ['-b', '2048'] : []), zone];
    const base = this.run('ldns-keygen', args).trim();
    const m = /^K.*\+(\d{3})\+(\d{5})$/.exec(base);
    if (!m) throw new Error(`unexpected ldns-keygen output: ${base}`);
    const dnskey = parseRr(readFileSync(join(this.dir, `${base}.key`), 'utf8').trim().replace(/\tIN\t/, '\t3600\tIN\t'));
    return { base, algorithm: Number(m[1]), tag: Number(m[2]), dnskey };
  }

  /** Signs `zoneText` with `keys`; inception and expiration are Unix seconds (`-i`, `-e`). */
  sign(zoneText: string, keys: readonly ZoneKey[], window: { inception: number; expiration: number }): Rr[] {
    writeFileSync(join(this.dir, 'zone'), zoneText);
    const args = ['-f', 'zone.signed', '-i', String(window.inception), '-e', String(window.expiration), 'zone', ...keys.map((k) => k.base)];
    this.run('ldns-signzone', args);
    return parseZone(readFileSync(join(this.dir, 'zone.signed'), 'utf8'));
  }

  /** The DS record `ldns-key2ds` prints for `key` with digest option `-1`, `-2` or `-4`. */
  ds(key: ZoneKey, digest: '-1' | '-2' | '-4'): Rr {
    return parseRr(this.run('ldns-key2ds', ['-n', '-f', digest, `${key.base}.key`]).trim());
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
