// The lab of one end-to-end test file: a "host" and a "guest" network namespace joined by a veth
// pair on libvirt's default network (192.168.121.0/24), a temp dir, and their removal, failed or not.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { removeNetnsResolvConf, writeNetnsResolvConf } from './netns-resolv.js';
import { sleep } from './process.js';
import { requireRoot, requireTool } from '../../helpers/tools.js';

export const NET = {
  host1: '192.168.121.1',
  host2: '192.168.121.2',
  prefix: 24,
  hostIf: 'virbr0',
  guestIf: 'eth0',
  guestMac: '52:54:00:e2:e2:01',
} as const;

type Closer = () => unknown;

/** Signals that end a test process: the lab goes first, then the signal is raised again. */
const ENDING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGALRM'];

export class Lab {
  readonly host = `dnsfwd-h-${process.pid}`;
  readonly guest = `dnsfwd-g-${process.pid}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'dnsfwd-e2e-'));
  private readonly closers: Closer[] = [];
  private readonly onExit = () => this.removeSync();
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.removeSync();
    process.kill(process.pid, sig);
  };
  private removed = false;

  /** Creates the namespaces; everything goes at `t`'s teardown, or when the process exits. */
  static create(t: Test): Lab {
    requireRoot('the end-to-end tests (test/e2e) create network namespaces and mounts');
    for (const tool of ['ip', 'nsenter', 'unshare', 'setpriv', 'mount']) requireTool(tool);
    const lab = new Lab();
    process.on('exit', lab.onExit);
    for (const sig of ENDING_SIGNALS) process.on(sig, lab.onSignal);
    t.teardown(() => lab.destroy());
    lab.build();
    return lab;
  }

  private build(): void {
    ip('netns', 'add', this.host);
    ip('netns', 'add', this.guest);
    ip('link', 'add', NET.hostIf, 'netns', this.host, 'type', 'veth', 'peer', 'name', NET.guestIf, 'netns', this.guest);
    ip('-n', this.guest, 'link', 'set', NET.guestIf, 'address', NET.guestMac);
    ip('-n', this.host, 'addr', 'add', `${NET.host1}/${NET.prefix}`, 'dev', NET.hostIf);
    ip('-n', this.host, 'addr', 'add', `${NET.host2}/${NET.prefix}`, 'dev', NET.hostIf);
    for (const ns of [this.host, this.guest]) ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', this.host, 'link', 'set', NET.hostIf, 'up');
    ip('-n', this.guest, 'link', 'set', NET.guestIf, 'up');
    writeNetnsResolvConf(this.guest, 'nameserver 127.0.0.1\n');
  }

  /** `argv` run in the host namespace. */
  inHost(argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.host, ...argv];
  }

  /** Runs `fn` at teardown, before the namespaces go: the last deferred runs first. */
  defer(fn: Closer): void {
    this.closers.push(fn);
  }

  async destroy(): Promise<void> {
    const errors: unknown[] = [];
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        errors.push(err);
      }
    }
    await this.endLeftovers();
    this.removeSync();
    if (errors.length) throw errors[0];
  }

  /** Processes still in the namespaces (a daemon's own children): SIGTERM, then SIGKILL after 2 s. */
  private async endLeftovers(): Promise<void> {
    for (const pid of this.pids()) signal(pid, 'SIGTERM');
    for (let i = 0; i < 40 && this.pids().length; i++) await sleep(50);
  }

  private pids(): number[] {
    return [this.host, this.guest].flatMap((ns) => {
      try {
        return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
          .split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
  }

  /** Kills what is left in the namespaces, deletes them, the resolv.conf and the temp dir. */
  removeSync(): void {
    if (this.removed) return;
    this.removed = true;
    process.off('exit', this.onExit);
    for (const sig of ENDING_SIGNALS) process.off(sig, this.onSignal);
    for (const pid of this.pids()) signal(pid, 'SIGKILL');
    for (const ns of [this.guest, this.host]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // not created
      }
    }
    removeNetnsResolvConf(this.guest);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The namespaces' names that `ip netns list` still shows (none after removal). */
  static listed(names: readonly string[]): string[] {
    const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    return names.filter((n) => list.split('\n').some((l) => l.split(' ')[0] === n));
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
