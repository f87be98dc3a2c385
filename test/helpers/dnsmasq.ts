// Real dnsmasq processes as upstream DNS servers on 127.0.0.x, with their query log.
import { spawn, type ChildProcess } from 'node:child_process';
import { dig } from './dig.js';
import { requireTool } from './tools.js';

export interface DnsmasqOptions {
  readonly address: string;
  readonly port?: number;
  /** dnsmasq options such as `--address=/foo.test/10.0.0.1` or `--ptr-record=...`. */
  readonly records: string[];
  /** Run it in this network namespace (a path such as /proc/PID/ns/net). */
  readonly netns?: string;
  /** Its upstream servers (`--server=`), instead of none. */
  readonly servers?: string[];
}

export class Dnsmasq {
  private log = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly address: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.log += c));
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
  }

  /** How many queries for `name` (in any letter case: dnsfwd asks with 0x20) it has received so far. */
  queries(name?: string): number {
    const lines = this.log.split('\n').filter((l) => /query\[/.test(l));
    return name ? lines.filter((l) => l.toLowerCase().includes(` ${name.toLowerCase()} `)).length : lines.length;
  }

  get output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

export async function startDnsmasq(o: DnsmasqOptions): Promise<Dnsmasq> {
  const port = o.port ?? 53;
  const args = [
    '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--no-negcache',
    '--cache-size=0', '--user=root', '--pid-file=', '--log-facility=-', '--log-queries',
    '--bind-interfaces', `--listen-address=${o.address}`, `--port=${port}`, ...o.records,
    ...(o.servers ?? []).map((s) => `--server=${s}`),
    // Its readiness check below is answered by itself (NXDOMAIN), never forwarded.
    ...(o.servers?.length ? ['--address=/probe.invalid/'] : []),
  ];
  const [cmd, argv] = o.netns ? [requireTool('nsenter'), [`--net=${o.netns}`, requireTool('dnsmasq'), ...args]] : [requireTool('dnsmasq'), args];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  // dnsmasq changes credentials at start, which clears a parent-death signal: kill it on our exit.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.on('exit', () => process.off('exit', killOnExit));
  const d = new Dnsmasq(o.address, port, child);
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) break;
    if (/started, version/.test(d.output)) {
      const probe = await dig(o.address, port, 'probe.invalid', { timeout: 1, ...(o.netns ? { netns: o.netns } : {}) });
      if (probe.status !== 'TIMEOUT') return d;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await d.stop();
  throw new Error(`dnsmasq on ${o.address}:${port} did not start:\n${d.output}`);
}
