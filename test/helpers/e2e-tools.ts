// Prerequisites of the end-to-end tests (DHCP clients, musl, glibc's getent): a missing tool fails
// the run with the Debian package that installs it.
import { execFileSync } from 'node:child_process';

export const E2E_INSTALL: Readonly<Record<string, string>> = {
  dhclient: 'apt-get install -y isc-dhcp-client',
  'dhclient-script': 'apt-get install -y isc-dhcp-client',
  dhcpcd: 'apt-get install -y dhcpcd-base',
  udhcpc: 'apt-get install -y udhcpc',
  'musl-gcc': 'apt-get install -y musl-tools',
  getent: 'apt-get install -y libc-bin',
  dig: 'apt-get install -y bind9-dnsutils',
  dnsmasq: 'apt-get install -y dnsmasq-base',
  ip: 'apt-get install -y iproute2',
  nsenter: 'apt-get install -y util-linux',
  unshare: 'apt-get install -y util-linux',
  setpriv: 'apt-get install -y util-linux',
  mount: 'apt-get install -y mount',
};

/** Absolute path of `tool`, or throws an error that says how to install it. */
export function requireE2eTool(tool: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  } catch {
    const how = E2E_INSTALL[tool] ?? `install ${tool}`;
    throw new Error(`${tool} is required by the end-to-end tests (test/e2e) and was not found on PATH: ${how}`);
  }
}

/** The end-to-end tests create network namespaces and mount file systems: root only. */
export function requireRootForE2e(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the end-to-end tests (test/e2e) create network namespaces and mounts and must run as root (sudo npm test)');
  }
}
