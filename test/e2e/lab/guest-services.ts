// What runs in the guest besides the DHCP client: dnsfwd with its embedded default configuration,
// and a Consul agent's DNS interface (dnsmasq on 127.0.0.1:8600 answering one service name).
import { spawn } from 'node:child_process';
import { DaemonProcess } from '../../helpers/daemon.js';
import { BIN, BIN_ENV, requireBuild } from '../../helpers/tools.js';
import type { Guest } from './guest.js';
import { sleep } from './process.js';
import { digGuest } from './lookups.js';

export const CONSUL = { name: 'web.service.consul', address: '192.0.2.80', port: 8600 } as const;

/** dnsfwd started in the guest as a service would start it: `dnsfwd.mjs run` with `args`. */
export async function startGuestDnsfwd(guest: Guest, args: readonly string[] = []): Promise<DaemonProcess> {
  requireBuild();
  const argv = guest.argv(['env', '-u', 'NODE_OPTIONS', ...BIN_ENV, BIN, 'run', ...args]);
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: daemonEnv() });
  const d = new DaemonProcess(child);
  guest.lab.defer(() => d.stop());
  const exited = d.exited.then((code) => {
    throw new Error(`dnsfwd exited with ${code} before starting: ${d.stderr}`);
  });
  await Promise.race([d.waitForMsg('dnsfwd started', 10_000), exited]);
  return d;
}

/** The Consul agent's DNS interface: TTL 0 answers, like Consul's defaults. */
export async function startConsulDns(guest: Guest): Promise<void> {
  const p = guest.spawn('consul dnsmasq', [
    'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--no-poll',
    '--user=root', '--group=root', '--pid-file=', '--log-facility=-', '--log-queries',
    '--bind-interfaces', '--listen-address=127.0.0.1', `--port=${CONSUL.port}`, '--local=/consul/',
    `--host-record=${CONSUL.name},${CONSUL.address}`,
  ]);
  await p.waitOutput(/started, version/, 10_000);
  for (let i = 0; i < 50; i++) {
    if ((await digGuest(guest, CONSUL.name, { port: CONSUL.port })).status === 'NOERROR') return;
    await sleep(100);
  }
  throw new Error(`the Consul stand-in did not answer:\n${p.output}`);
}

/** The environment without the test runner's loaders and hooks. */
function daemonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || /^_?TAP/i.test(k) || k.startsWith('_TAPJS')) continue;
    env[k] = v;
  }
  return env;
}
