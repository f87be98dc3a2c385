// Prerequisites of the integration tests: a missing tool fails the run with how to install it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const INSTALL: Record<string, string> = {
  dig: 'apt-get install -y bind9-dnsutils',
  dnsmasq: 'apt-get install -y dnsmasq-base',
  ip: 'apt-get install -y iproute2',
  unshare: 'apt-get install -y util-linux',
  nsenter: 'apt-get install -y util-linux',
  setpriv: 'apt-get install -y util-linux',
};

/** Absolute path of `tool`, or throws an error that says how to install it. */
export function requireTool(tool: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  } catch {
    const how = INSTALL[tool] ?? `install ${tool}`;
    throw new Error(`${tool} is required by the integration tests and was not found on PATH: ${how} (or run .ci/run)`);
  }
}

/** Binding port 53 on 127.0.0.x (the DHCP nameservers must be on port 53) needs root. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the integration tests bind port 53 on 127.0.0.x addresses and must run as root (sudo npm test)');
  }
}

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What ships and what the service files run: the single-file build (npm run bundle). */
export const CLI = fileURLToPath(new URL('../../dist/dnsfwd.mjs', import.meta.url));
/** The V8 settings it runs with (package.json config.node_flags), as the service files give them. */
export const NODE_FLAGS: readonly string[] = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { config: { node_flags: string } }
).config.node_flags.split(' ');

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run bundle" first (npm test does)`);
}
