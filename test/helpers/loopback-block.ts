// Blocks of 16 addresses of 127.0.90.0/24 (reserved for the DNSSEC tests), each held by one test
// process at a time through a lock file, and checked free on port 53 before servers bind there.
import { execFileSync } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoint } from './dns-servers.js';
import { portFree } from './ports.js';

export const NET = '127.0.90';
/** Blocks 0-14: 127.0.90.1-15, .17-31, ... .225-239. */
export const BLOCKS = 15;
const PORT = 53;

export interface Block {
  readonly index: number;
  /** Host `host` (1-15) of the block, port 53. */
  at(host: number): Endpoint;
  release(): void;
}

const lockPath = (index: number) => join(tmpdir(), `dnsfwd-hierarchy-block-${index}.lock`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file of block `index`: null if a live process holds it (a dead one's is taken over). */
function lock(index: number): (() => void) | null {
  const path = lockPath(index);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      const release = () => {
        process.off('exit', release);
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch {
          // already gone
        }
      };
      process.on('exit', release);
      return release;
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(path, 'utf8'));
      } catch {
        continue; // released in between: try again
      }
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) return null;
      try {
        unlinkSync(path);
      } catch {
        // another process took it over first
      }
    }
  }
  return null;
}

/** Who listens on `port` (ss -lnptu), for the message when an address is taken. */
function listeners(port: number): string {
  try {
    const out = execFileSync('ss', ['-Hlnptu'], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.includes(`:${port} `)).join('\n') || '(ss shows no listener)';
  } catch {
    return '(ss not available)';
  }
}

/**
 * A block whose `hosts` are all free on port 53: block `index` if given, otherwise the first one no
 * other test process holds. Throws, naming the listener, if an address is taken by something else
 * (such as a packaged nsd or unbound listening on 0.0.0.0:53).
 */
export async function claimBlock(hosts: readonly number[], index?: number): Promise<Block> {
  const candidates = index === undefined ? Array.from({ length: BLOCKS }, (_, i) => i) : [index];
  for (const i of candidates) {
    if (!Number.isInteger(i) || i < 0 || i >= BLOCKS) throw new Error(`no block ${i} of ${NET}.0/24: 0-${BLOCKS - 1}`);
    const release = lock(i);
    if (!release) continue;
    const block: Block = { index: i, at: (host) => ({ address: `${NET}.${16 * i + host}`, port: PORT }), release };
    for (const host of hosts) {
      const { address } = block.at(host);
      if (await portFree(address, PORT)) continue;
      release();
      throw new Error(
        `${address}:${PORT} is taken, and the DNSSEC test servers need it:\n${listeners(PORT)}\n` +
          '(a packaged nsd or unbound service? stop it: systemctl disable --now nsd unbound)',
      );
    }
    return block;
  }
  throw new Error(`every block of ${NET}.0/24 asked for (${candidates.join(', ')}) is held by another test process (${tmpdir()}/dnsfwd-hierarchy-block-*.lock)`);
}
