// Timing dnsfwd's following of a lease change: from the moment the client's state file names the
// new nameservers (its mtime) to dnsfwd's "default route servers changed" line, and to the first
// answer dig gets from the new nameserver through dnsfwd.
import { statSync } from 'node:fs';
import type { DaemonProcess, LogLine } from '../../helpers/daemon.js';
import type { DhcpClient } from './clients/client.js';
import type { Guest } from './guest.js';
import { digGuest } from './lookups.js';
import { pollUntil, sleep } from './process.js';

export interface FollowTimes {
  /** The state file's mtime when it first named the new servers (ms since the epoch). */
  readonly changedAt: number;
  /** From that change to dnsfwd's log line. */
  readonly logMs: number;
  /** From that change to dig's first answer from the new nameserver. */
  readonly digMs: number;
}

export interface FollowOptions {
  readonly guest: Guest;
  readonly daemon: DaemonProcess;
  readonly client: DhcpClient;
  /** Log lines before this index are older than the change. */
  readonly since: number;
  readonly servers: readonly string[];
  /** A name, and the address only the new nameserver answers for it. */
  readonly probe: { name: string; address: string };
  readonly timeoutMs: number;
}

export async function measureFollow(o: FollowOptions): Promise<FollowTimes> {
  const want = o.servers.map((s) => `${s}:53`);
  const [changedAt, line, answeredAt] = await Promise.all([
    waitStateFile(o.client, o.servers, o.timeoutMs),
    o.daemon.waitForLog((l) => l.msg === 'default route servers changed' && same(l.new, want), o.timeoutMs, o.since),
    waitAnswer(o.guest, o.probe, o.timeoutMs),
  ]);
  return { changedAt, logMs: logTime(line) - changedAt, digMs: answeredAt - changedAt };
}

/** The state file's mtime once it names exactly `servers`. */
async function waitStateFile(client: DhcpClient, servers: readonly string[], timeoutMs: number): Promise<number> {
  if (!(await pollUntil(() => same(client.servers(), servers), timeoutMs))) {
    const now = client.servers().join(', ') || 'none';
    throw new Error(`${client.stateFile} did not name ${servers.join(', ')} within ${timeoutMs} ms (it names ${now}); client output:\n${client.proc.output}`);
  }
  return statSync(client.stateFile).mtimeMs;
}

/** When dig through dnsfwd first got `probe.address`. */
async function waitAnswer(guest: Guest, probe: { name: string; address: string }, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await digGuest(guest, probe.name);
    if (r.answers.some((a) => a.data === probe.address)) return Date.now();
    if (Date.now() > until) throw new Error(`dig never got ${probe.address} for ${probe.name} within ${timeoutMs} ms; last:\n${r.raw}`);
    await sleep(20);
  }
}

/** pino's `time`: epoch milliseconds, or an ISO string with a custom timestamp. */
export function logTime(line: LogLine): number {
  return typeof line.time === 'number' ? line.time : Date.parse(String(line.time));
}

function same(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}
