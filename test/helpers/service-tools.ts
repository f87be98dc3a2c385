// Programs the service and install tests run: a missing one fails the test with the Debian package
// that has it (.ci/run installs them).
import { execFileSync } from 'node:child_process';

const PACKAGES: Record<string, string> = {
  'systemd-analyze': 'systemd',
  'openrc-run': 'openrc',
  'supervise-daemon': 'openrc',
  strace: 'strace',
  shellcheck: 'shellcheck',
  unshare: 'util-linux',
  setpriv: 'util-linux',
  mount: 'mount',
  ip: 'iproute2',
  dig: 'bind9-dnsutils',
  useradd: 'passwd',
  groupadd: 'passwd',
};

/** Absolute path of `tool`, or throws an error that says which package to install. */
export function requireServiceTool(tool: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).trim();
  } catch {
    const pkg = PACKAGES[tool] ?? tool;
    throw new Error(`${tool} is required by this test and was not found: apt-get install -y ${pkg} (or run .ci/run)`);
  }
}

/** The sandboxed tests mount file systems in namespaces of their own, which needs root. */
export function requireRootForSandbox(what: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${what} runs in mount, PID and network namespaces of its own and must run as root (sudo npm test)`);
}
