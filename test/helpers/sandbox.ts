// Runs a shell script as root in namespaces of its own (mount, PID, network): / is read-only,
// /etc, /usr and /var are overlays whose changes land in a temporary directory (which stays
// writable), /run is an empty tmpfs, the network has only lo. The host's files, services and addresses are never touched; when the script ends,
// every process it started ends with it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRoot, requireTool } from './tools.js';

export interface SandboxRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const PRELUDE = `set -eu
mount --bind "$SANDBOX" "$SANDBOX"
mount -o remount,bind,ro /
for d in etc usr var; do
  mkdir -p "$SANDBOX/upper/$d" "$SANDBOX/work/$d"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$SANDBOX/upper/$d,workdir=$SANDBOX/work/$d" "/$d"
done
mount -t tmpfs tmpfs /run
ip link set lo up
`;

export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'dnsfwd-sandbox-'));

  constructor(what: string) {
    requireRoot(`${what} runs in mount, PID and network namespaces of its own`);
    for (const tool of ['unshare', 'mount', 'ip']) requireTool(tool);
  }

  /** Runs `script` (sh, set -eu) after the prelude; $SANDBOX is this sandbox's directory. */
  run(script: string, env: Record<string, string> = {}, timeoutMs = 90_000): SandboxRun {
    const r = spawnSync(
      'unshare',
      ['--mount', '--pid', '--net', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', 'sh', '-c', PRELUDE + script],
      { encoding: 'utf8', timeout: timeoutMs, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', ...env, SANDBOX: this.dir } },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** A file the sandbox wrote under /etc, /usr or /var (e.g. 'var/log/dnsfwd.log'). */
  upper(path: string): string {
    return join(this.dir, 'upper', path);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
