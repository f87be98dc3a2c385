// Prerequisites of the tests: a missing tool fails the run with the Debian package that has it
// (.ci/run installs them all), and tests that need root say why.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian package of each program a test runs. */
const PACKAGES: Readonly<Record<string, string>> = {
  dig: 'bind9-dnsutils',
  dnsmasq: 'dnsmasq-base',
  ip: 'iproute2',
  nft: 'nftables',
  ss: 'iproute2',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  setpriv: 'util-linux',
  mount: 'mount',
  getent: 'libc-bin',
  dhclient: 'isc-dhcp-client',
  'dhclient-script': 'isc-dhcp-client',
  dhcpcd: 'dhcpcd-base',
  udhcpc: 'udhcpc',
  'musl-gcc': 'musl-tools',
  'systemd-analyze': 'systemd',
  systemctl: 'systemd',
  'systemd-notify': 'systemd',
  'systemd-socket-activate': 'systemd',
  '/lib/systemd/systemd': 'systemd',
  'systemd-cat': 'systemd',
  journalctl: 'systemd',
  '/lib/systemd/systemd-journald': 'systemd',
  'openrc-run': 'openrc',
  'supervise-daemon': 'openrc',
  strace: 'strace',
  shellcheck: 'shellcheck',
  promtool: 'prometheus',
  logrotate: 'logrotate',
  useradd: 'passwd',
  groupadd: 'passwd',
  mandoc: 'mandoc',
  bash: 'bash',
  zsh: 'zsh',
  nsd: 'nsd',
  unbound: 'unbound',
  'ldns-keygen': 'ldnsutils',
  'ldns-key2ds': 'ldnsutils',
  'ldns-signzone': 'ldnsutils',
  'ldns-nsec3-hash': 'ldnsutils',
};

/** Absolute path of `tool` (sbin directories included), or throws an error that says how to install it. */
export function requireTool(tool: string): string {
  try {
    const env = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` };
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', env }).trim();
  } catch {
    throw new Error(`${tool} is required by the tests and was not found: apt-get install -y ${PACKAGES[tool] ?? tool} (or run .ci/run)`);
  }
}

/** Throws unless running as root; `why` says what needs it. */
export function requireRoot(why = 'the integration tests bind port 53 on 127.0.0.x addresses'): void {
  if (process.getuid?.() !== 0) throw new Error(`${why}: run the tests as root (sudo npm test)`);
}

/** The repository: the directory of package.json above this file (test/helpers, or its build under build/). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = dirname(dir);
  }
  return dir;
}

export const ROOT = repositoryRoot();
/** What ships: the single-file build (npm run bundle), its first step (main.ts) that loads the rest. */
export const CLI = join(ROOT, 'dist/dnsfwd.mjs');
/**
 * The one way to start dnsfwd (bin/dnsfwd): what npm start, the package's bin and the service
 * files run. It runs the single-file build with the Node settings its config needs
 * (src/cli/node-settings.ts), under the node named by DNSFWD_NODE (BIN_ENV: this test's node).
 */
export const BIN = join(ROOT, 'bin/dnsfwd');
/** The environment words that make BIN run this test's node: `env ...BIN_ENV BIN ARGS`. */
export const BIN_ENV: readonly string[] = [`DNSFWD_NODE=${process.execPath}`];

/** A file of test/fixtures/, e.g. `dhcp/dhclient.leases`. */
export function fixture(name: string): Buffer {
  return readFileSync(join(ROOT, 'test/fixtures', name));
}

export function requireBuild(): void {
  for (const f of [CLI, join(ROOT, 'dist/dnsfwd-program.mjs')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run "npm run bundle" first (npm test does)`);
  }
}
