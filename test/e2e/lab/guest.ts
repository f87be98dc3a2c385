// The guest: a private mount and UTS namespace inside the guest network namespace, held open by a
// sleeping process, where /run is a tmpfs, /etc and /var/lib are overlays whose upper layers are
// the test's, and the standard lease and resolver directories are bind mounts of the test's dirs.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Lab } from './lab.js';
import { startProcess, type LabProcess } from './process.js';

/** Guest directory → name of the test's directory mounted there (under <lab>/guest/). */
const BIND_DIRS: Readonly<Record<string, string>> = {
  '/var/lib/dhcp': 'var-lib-dhcp',
  '/var/lib/dhclient': 'var-lib-dhclient',
  '/var/lib/dhcpcd': 'var-lib-dhcpcd',
  '/etc/dnsfwd': 'etc-dnsfwd',
};

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class Guest {
  private constructor(
    readonly lab: Lab,
    private readonly holder: LabProcess,
    private readonly root: string,
  ) {}

  /**
   * Starts the guest; `etc` files (paths relative to /etc) are in its /etc from the start, those
   * beginning with `#!` executable.
   */
  static async start(lab: Lab, etc: Readonly<Record<string, string>>): Promise<Guest> {
    const root = join(lab.dir, 'guest');
    for (const dir of ['etc-upper', 'etc-work', 'var-lib-upper', 'var-lib-work', ...Object.values(BIND_DIRS)]) {
      mkdirSync(join(root, dir), { recursive: true });
    }
    for (const [path, content] of Object.entries(etc)) {
      const file = join(root, 'etc-upper', path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content, { mode: content.startsWith('#!') ? 0o755 : 0o644 });
    }
    const holder = startProcess('guest namespace holder', [
      'ip', 'netns', 'exec', lab.guest, 'unshare', '--mount', '--uts', '--propagation', 'private',
      'sh', '-c', holderScript(lab.guest, root),
    ]);
    lab.defer(() => holder.stop('SIGKILL'));
    await holder.waitOutput(/^ready$/m, 10_000);
    return new Guest(lab, holder, root);
  }

  /** Where the test sees a file of the guest's bind-mounted directories, e.g. /var/lib/dhcp/x. */
  hostPath(guestPath: string): string {
    for (const [dir, name] of Object.entries(BIND_DIRS)) {
      if (guestPath.startsWith(`${dir}/`)) return join(this.root, name, guestPath.slice(dir.length + 1));
    }
    throw new Error(`${guestPath} is not in a directory the test mounted in the guest`);
  }

  /** `argv` run inside the guest's namespaces. */
  argv(argv: readonly string[]): string[] {
    return ['nsenter', '-t', String(this.holder.pid), '-m', '-n', '-u', '--', ...argv];
  }

  /** Starts a long-running process in the guest, stopped at the lab's teardown. */
  spawn(name: string, argv: readonly string[]): LabProcess {
    const p = startProcess(name, this.argv(argv));
    this.lab.defer(() => p.stop());
    return p;
  }

  /** Runs `argv` in the guest to completion (killed after `timeoutMs`). */
  exec(argv: readonly string[], timeoutMs = 15_000): Promise<ExecResult> {
    const [cmd, ...args] = this.argv(argv);
    return new Promise((resolve) => {
      execFile(cmd!, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }
}

/**
 * The holder's mounts. /etc and /var/lib are overlays so that directories missing on the machine
 * (/etc/dnsfwd, /var/lib/dhclient) can be mount points without being created there; the overlay
 * hides the resolv.conf `ip netns exec` mounted, so it is mounted again (into the new /run when
 * /etc/resolv.conf is a symbolic link there, as with systemd-resolved).
 */
function holderScript(netns: string, root: string): string {
  const overlay = (dir: string, name: string) =>
    `mount -t overlay dnsfwd-e2e-${name} -o lowerdir=${dir},upperdir=${q(`${root}/${name}-upper`)},workdir=${q(`${root}/${name}-work`)} ${dir}`;
  const binds = Object.entries(BIND_DIRS).map(([dir, name]) => `mkdir -p ${dir} && mount --bind ${q(join(root, name))} ${dir}`);
  return [
    'set -e',
    'mount -t tmpfs dnsfwd-e2e-run /run',
    overlay('/etc', 'etc'),
    overlay('/var/lib', 'var-lib'),
    'r=$(readlink -m /etc/resolv.conf)',
    'case "$r" in /run/*) mkdir -p "${r%/*}" && : > "$r" ;; esac',
    `mount --bind ${q(`/etc/netns/${netns}/resolv.conf`)} /etc/resolv.conf`,
    ...binds,
    'echo dnsfwd-guest > /proc/sys/kernel/hostname',
    'echo ready',
    'exec sleep infinity',
  ].join('\n');
}

/** Single-quoted for sh. */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
