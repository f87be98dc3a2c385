// A network namespace of a test's own, so that a test can bind port 53 on any loopback address,
// add addresses and links, and run real dnsmasq and dig there without touching the host's network.
// A holder process (`unshare --net`) keeps the namespace alive; every process the test starts in it
// enters it with nsenter and dies with the test (setpriv --pdeathsig). When the holder ends, the
// namespace and its links go with it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { startDnsfwd, type DaemonProcess } from './daemon.js';
import { dig, type DigOptions, type DigResult } from './dig.js';
import { startDnsmasq, type Dnsmasq, type DnsmasqOptions } from './dnsmasq.js';
import { requireRoot, requireTool } from './tools.js';

export interface ShResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class Netns {
  private constructor(private readonly holder: ChildProcess) {}

  /** A new namespace with only `lo`, up. */
  static async create(why = 'this test makes a network namespace of its own'): Promise<Netns> {
    requireRoot(why);
    for (const tool of ['unshare', 'nsenter', 'setpriv', 'ip']) requireTool(tool);
    const holder = spawn('setpriv', ['--pdeathsig', 'KILL', 'unshare', '--net', 'sh', '-c', 'ip link set lo up && echo ready && exec sleep 100000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      holder.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      holder.stdout!.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`could not make a network namespace (exit ${code}): ${err}`)));
    });
    return new Netns(holder);
  }

  /** The namespace's path, for `nsenter --net=`. */
  get path(): string {
    return `/proc/${this.holder.pid}/ns/net`;
  }

  get pid(): number {
    return this.holder.pid!;
  }

  /** The command prefix that runs a program in this namespace. */
  get prefix(): string[] {
    return ['nsenter', `--net=${this.path}`];
  }

  /** Runs `script` with sh in this namespace; resolves with its exit code and output. */
  sh(script: string): Promise<ShResult> {
    return new Promise((resolve) => {
      execFile(requireTool('nsenter'), [`--net=${this.path}`, 'sh', '-c', script], { timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
  }

  /** Runs `script`, and throws with its output when it fails. */
  async must(script: string): Promise<string> {
    const r = await this.sh(script);
    if (r.code !== 0) throw new Error(`in the test's namespace, "${script}" failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** A process in this namespace, killed when the test process ends. */
  spawn(cmd: string, args: readonly string[]): ChildProcess {
    return spawn('setpriv', ['--pdeathsig', 'KILL', ...this.prefix, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  dig(server: string, port: number, name: string, o: DigOptions = {}): Promise<DigResult> {
    return dig(server, port, name, { ...o, netns: this.path });
  }

  /** `dnsfwd run ARGS` in this namespace, once it has started. */
  startDnsfwd(args: string[]): Promise<DaemonProcess> {
    return startDnsfwd(args, { prefix: this.prefix });
  }

  startDnsmasq(o: Omit<DnsmasqOptions, 'netns'>): Promise<Dnsmasq> {
    return startDnsmasq({ ...o, netns: this.path });
  }

  /**
   * A veth pair from this namespace (`here`, with `hereAddress` as CIDR) to `other` (`there`, with
   * `thereAddress`), both up.
   */
  async link(other: Netns, here: string, hereAddress: string, there: string, thereAddress: string): Promise<void> {
    await this.must(`ip link add ${here} type veth peer name ${there} netns ${other.pid} && ip addr add ${hereAddress} dev ${here} && ip link set ${here} up`);
    await other.must(`ip addr add ${thereAddress} dev ${there} && ip link set ${there} up`);
  }

  close(): void {
    this.holder.kill('SIGKILL');
  }
}
