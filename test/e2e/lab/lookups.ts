// Name lookups inside the guest, the three ways programs do them: dig (straight to a server),
// glibc's getent (nsswitch, then resolv.conf) and a static musl program calling getaddrinfo.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseDig, type DigResult } from '../../helpers/dig.js';
import type { Guest } from './guest.js';
import { requireTool, ROOT } from '../../helpers/tools.js';

export type Resolver = 'dig' | 'getent' | 'musl';

export interface Lookup {
  /** The addresses found, in the order printed; [] when the name did not resolve. */
  readonly addresses: string[];
  /** What the program printed, for failure messages. */
  readonly raw: string;
}

export interface DigGuestOptions {
  readonly server?: string;
  readonly port?: number;
  readonly type?: string;
  readonly reverse?: boolean;
}

export async function digGuest(guest: Guest, name: string, o: DigGuestOptions = {}): Promise<Omit<DigResult, 'ms'>> {
  const query = o.reverse ? ['-x', name] : [name, o.type ?? 'A'];
  const argv = ['dig', `@${o.server ?? '127.0.0.1'}`, '-p', String(o.port ?? 53), ...query, '+tries=1', '+time=3', '+nocookie'];
  const r = await guest.exec(argv);
  const raw = r.stdout + r.stderr;
  return { ...parseDig(raw), raw };
}

/** A static musl binary that prints the addresses getaddrinfo returns, built into `dir`. */
export function buildMuslLookup(dir: string): string {
  const gcc = requireTool('musl-gcc');
  const source = join(ROOT, 'test/e2e/lab/musl-lookup.c');
  const out = `${dir}/musl-lookup`;
  execFileSync(gcc, ['-static', '-Os', '-o', out, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

/** Looks `name` up in the guest with `resolver`; `musl` is the binary from buildMuslLookup. */
export async function lookup(guest: Guest, resolver: Resolver, name: string, musl: string): Promise<Lookup> {
  if (resolver === 'dig') {
    const r = await digGuest(guest, name);
    return { addresses: r.answers.filter((a) => a.type === 'A').map((a) => a.data), raw: r.raw };
  }
  const argv = resolver === 'getent' ? [requireTool('getent'), 'hosts', name] : [musl, name];
  const r = await guest.exec(argv);
  const addresses = r.code === 0 ? r.stdout.split('\n').map((l) => l.split(/\s+/)[0]!).filter(Boolean) : [];
  return { addresses: [...new Set(addresses)], raw: `exit ${r.code}\n${r.stdout}${r.stderr}` };
}
