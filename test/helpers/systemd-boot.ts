// Boots Debian's real systemd as PID 1 of a sandbox (mount, PID, network, UTS, IPC and cgroup
// namespaces: / read-only, /etc, /usr and /var overlays, /run, /tmp and /sys/fs/cgroup of its own)
// with only the units a test gives, and runs the test's script as a oneshot service in it; systemd
// exits when that script ends. Nothing of the host's is started: $SYSTEMD_UNIT_PATH holds only the
// test's units and stand-ins for the targets they name (no sysinit.target.wants: no tmpfiles, udev
// or modules), and no generator runs. Its cgroups live under one cgroup made for it, removed after.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { requireRoot, requireTool } from './tools.js';

export const SYSTEMD = '/lib/systemd/systemd';

/** The targets and slice a service with default dependencies names, as empty units. */
const STAND_INS = ['sysinit.target', 'basic.target', 'network.target', 'nss-lookup.target', 'shutdown.target', 'system.slice'];

/** cgroup v1 (or hybrid): systemd's own named hierarchy; v2: the unified one. */
const V1 = '/sys/fs/cgroup/systemd';

const PRELUDE = `set -eu
mkdir "$CGROUP" && echo $$ >"$CGROUP/cgroup.procs"
exec unshare --cgroup sh -eu -c '
mount --bind "$SANDBOX" "$SANDBOX"
mount -o remount,bind,ro /
for d in etc usr var; do
  mkdir -p "$SANDBOX/upper/$d" "$SANDBOX/work/$d"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$SANDBOX/upper/$d,workdir=$SANDBOX/work/$d" "/$d"
done
mount -t tmpfs tmpfs /run
mkdir /run/sandbox && mount --move "$SANDBOX" /run/sandbox
mount -t tmpfs tmpfs /tmp
mkdir -p "$SANDBOX" && mount --move /run/sandbox "$SANDBOX"
mount -t tmpfs tmpfs /sys/fs/cgroup
if [ "$CGROUP_V1" = yes ]; then
  mkdir /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
else
  mount -t cgroup2 cgroup2 /sys/fs/cgroup
fi
ip link set lo up
touch "$SANDBOX/console" && mount --bind "$SANDBOX/console" /dev/console
sh -eu "$SANDBOX/setup.sh" >"$SANDBOX/setup.out" 2>&1
export container=dnsfwd-test SYSTEMD_UNIT_PATH="$SANDBOX/units" SYSTEMD_GENERATOR_PATH="$SANDBOX/none" SYSTEMD_ENVIRONMENT_GENERATOR_PATH="$SANDBOX/none"
exec ${SYSTEMD} --system --unit=sandbox-test.service --log-target=console
'
`;

export interface BootRun {
  readonly status: number | null;
  /** The test script's output and errors. */
  readonly stdout: string;
  readonly stderr: string;
  /** systemd's own log, and the prelude's and setup's errors. */
  readonly log: string;
}

export class SystemdBoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'dnsfwd-systemd-'));
  private readonly cgroup = join(existsSync(V1) ? V1 : '/sys/fs/cgroup', basename(this.dir));

  constructor(what: string) {
    requireRoot(`${what} boots systemd in namespaces of its own`);
    for (const tool of ['unshare', 'mount', 'ip', 'systemctl', SYSTEMD]) requireTool(tool);
  }

  /**
   * Boots with `units` (file name → text; drop-ins as `NAME.d/FILE.conf`), after `setup` (sh, as
   * root, before systemd starts: install files, add users), then runs `script` as a service and
   * returns when systemd has exited. $SANDBOX is this sandbox's directory in both.
   */
  run(units: Record<string, string>, setup: string, script: string, env: Record<string, string> = {}, timeoutMs = 120_000): BootRun {
    const dir = join(this.dir, 'units');
    for (const unit of STAND_INS) writeUnit(dir, unit, `[Unit]\nDescription=${unit} (stand-in)\n`);
    writeUnit(
      dir,
      'sandbox-test.service',
      '[Unit]\nDefaultDependencies=no\nSuccessAction=exit-force\nFailureAction=exit-force\n' +
        `[Service]\nType=oneshot\nExecStart=/bin/sh -eu ${this.dir}/test.sh\n` +
        `StandardOutput=file:${this.dir}/test.out\nStandardError=file:${this.dir}/test.err\n` +
        Object.entries({ ...env, SANDBOX: this.dir })
          .map(([k, v]) => `Environment="${k}=${v}"\n`)
          .join(''),
    );
    for (const [name, text] of Object.entries(units)) writeUnit(dir, name, text);
    mkdirSync(join(this.dir, 'none'));
    writeFileSync(join(this.dir, 'setup.sh'), setup);
    writeFileSync(join(this.dir, 'test.sh'), script);
    const r = spawnSync(
      'unshare',
      ['--mount', '--pid', '--net', '--uts', '--ipc', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', 'sh', '-c', PRELUDE],
      {
        encoding: 'utf8',
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', ...env, SANDBOX: this.dir, CGROUP: this.cgroup, CGROUP_V1: existsSync(V1) ? 'yes' : 'no' },
      },
    );
    const read = (file: string) => (existsSync(join(this.dir, file)) ? readFileSync(join(this.dir, file), 'utf8') : '');
    return {
      status: r.status,
      stdout: read('test.out'),
      stderr: read('test.err'),
      log: [r.stdout, r.stderr, read('setup.out'), read('console')].join('\n'),
    };
  }

  /** A file the sandbox wrote under /etc, /usr or /var (e.g. 'var/log/x'). */
  upper(path: string): string {
    return join(this.dir, 'upper', path);
  }

  /** Removes the directory and the cgroups systemd left (empty once its processes are gone). */
  remove(): void {
    removeCgroup(this.cgroup);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function writeUnit(dir: string, name: string, text: string): void {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  writeFileSync(join(dir, name), text);
}

/** rmdir of a cgroup and the ones below it, deepest first (their files cannot be unlinked). */
function removeCgroup(path: string): void {
  if (!existsSync(path)) return;
  for (const e of readdirSync(path, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(join(path, e.name));
  rmdirSync(path);
}
