// The host side, like libvirt's network: dnsmasq on 192.168.121.1 as DHCP server and DNS server for
// vagrant.test and its reverse zone, and a second nameserver on 192.168.121.2. Both also answer
// one "outside" name, each with its own address, so an answer shows which server gave it.
import { execFile } from 'node:child_process';
import { parseDig } from '../../helpers/dig.js';
import { NET, type Lab } from './lab.js';
import { sleep, startProcess, type LabProcess } from './process.js';
import { requireTool } from '../../helpers/tools.js';

export const DOMAIN = 'vagrant.test';
export const NODE1 = { name: 'node1.vagrant.test', address: '192.168.121.10' } as const;
export const OUTSIDE = { name: 'outside.example', viaHost1: '203.0.113.7', viaHost2: '203.0.113.8' } as const;

export class HostNameserver {
  private proc: LabProcess | undefined;

  /** `dhcp`: the nameservers it hands out as DHCP server, or null for a nameserver only. */
  constructor(
    private readonly lab: Lab,
    readonly address: string,
    private readonly outside: string,
    private dhcp: readonly string[] | null,
  ) {}

  get output(): string {
    return this.proc?.output ?? '';
  }

  async start(): Promise<void> {
    const dhcp = this.dhcp ? dhcpArgs(this.lab, this.dhcp) : [];
    this.proc = await startNameserver(this.lab, this.address, dnsArgs(this.address, this.outside).concat(dhcp));
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
  }

  /** Stops dnsmasq and starts it again, handing out `dhcp` from now on (leases kept in its file). */
  async restart(dhcp: readonly string[]): Promise<void> {
    await this.stop();
    this.dhcp = dhcp;
    await this.start();
  }
}

/** The first serves DHCP, handing out `dnsServers`; the second is a nameserver only. */
export async function startHostServers(lab: Lab, dnsServers: readonly string[]): Promise<[HostNameserver, HostNameserver]> {
  requireTool('dnsmasq');
  const first = new HostNameserver(lab, NET.host1, OUTSIDE.viaHost1, dnsServers);
  lab.defer(() => first.stop());
  await first.start();
  const second = new HostNameserver(lab, NET.host2, OUTSIDE.viaHost2, null);
  lab.defer(() => second.stop());
  await second.start();
  return [first, second];
}

function dnsArgs(address: string, outside: string): string[] {
  return [
    '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--no-poll',
    '--user=root', '--group=root', '--pid-file=', '--log-facility=-', '--log-queries',
    '--bind-interfaces', `--listen-address=${address}`,
    `--domain=${DOMAIN}`, `--local=/${DOMAIN}/`, '--local=/121.168.192.in-addr.arpa/',
    `--host-record=${NODE1.name},${NODE1.address}`,
    // Local data only: with no upstream, dnsmasq would REFUSE the AAAA query musl sends alongside.
    `--local=/${OUTSIDE.name}/`, `--host-record=${OUTSIDE.name},${outside}`,
  ];
}

/** A 2-minute lease (dnsmasq's minimum) renewed after 4 s (T1), rebound after 7 s (T2). */
function dhcpArgs(lab: Lab, dnsServers: readonly string[]): string[] {
  return [
    '--dhcp-range=192.168.121.100,192.168.121.199,255.255.255.0,2m', '--dhcp-authoritative',
    `--dhcp-leasefile=${lab.dir}/dnsmasq.leases`, '--log-dhcp',
    `--dhcp-option=option:dns-server,${dnsServers.join(',')}`,
    '--dhcp-option=option:T1,4', '--dhcp-option=option:T2,7',
  ];
}

async function startNameserver(lab: Lab, address: string, args: string[]): Promise<LabProcess> {
  const p = startProcess(`dnsmasq ${address}`, lab.inHost(['dnsmasq', ...args]));
  await p.waitOutput(/started, version/, 10_000);
  for (let i = 0; i < 50; i++) {
    if ((await hostDig(lab, address, NODE1.name)).status === 'NOERROR') return p;
    if (!p.alive) break;
    await sleep(100);
  }
  await p.stop();
  throw new Error(`dnsmasq on ${address} did not answer:\n${p.output}`);
}

/** `dig @address name` from the host namespace. */
async function hostDig(lab: Lab, address: string, name: string): Promise<ReturnType<typeof parseDig>> {
  const [cmd, ...args] = lab.inHost(['dig', `@${address}`, name, '+tries=1', '+time=1']);
  const raw = await new Promise<string>((resolve) => {
    execFile(cmd!, args, { timeout: 5000 }, (_err, stdout, stderr) => resolve(stdout + stderr));
  });
  return parseDig(raw);
}
