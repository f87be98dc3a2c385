// Real NSD and Unbound processes (Debian's nsd 4.6 and unbound 1.17) for the signed test hierarchy:
// their config files written to a temporary directory, each process tied to the test process.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool } from './tools.js';

/** A server child process and what it printed on stderr. */
export class ServerProcess {
  private log = '';
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.log += c));
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (this.log += c));
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
  }

  get output(): string {
    return this.log;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL if it is still there after 5 s; resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.alive) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Spawns `program args` under `setpriv --pdeathsig KILL` (as daemon.ts does: it dies with the test
 * process even if that crashes; NSD's own children exit when their parent does), and kills it on
 * the test process's exit too, as dnsmasq.ts does. Resolves once stderr matches `ready`.
 */
async function startServer(name: string, program: string, args: string[], ready: RegExp): Promise<ServerProcess> {
  const child = spawn(requireTool('setpriv'), ['--pdeathsig', 'KILL', requireTool(program), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.on('exit', () => process.off('exit', killOnExit));
  const server = new ServerProcess(name, child);
  for (let i = 0; i < 200 && server.alive; i++) {
    if (ready.test(server.output)) return server;
    await new Promise((r) => setTimeout(r, 25));
  }
  await server.stop();
  throw new Error(`${name} did not start:\n${server.output}`);
}

/** Where a server listens. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface NsdOptions extends Endpoint {
  /** Its config, zone files, pid and state files go here. */
  readonly dir: string;
  /** A short name for its files and messages, e.g. `nsd-root`. */
  readonly name: string;
  /** Zones it serves: name and zone file (relative to `dir`). */
  readonly zones: readonly { readonly name: string; readonly file: string }[];
}

/**
 * An authoritative NSD in the foreground (-d). No privilege drop or chroot (username/chroot ""), no
 * zone database (database ""), every state file in `dir`, response rate limiting off (rrl-ratelimit
 * 0: the tests query fast), no remote control (nsd.conf(5) of NSD 4.6).
 */
export async function startNsd(o: NsdOptions): Promise<ServerProcess> {
  const file = (f: string) => `"${join(o.dir, `${o.name}.${f}`)}"`;
  const conf = [
    'server:',
    `  ip-address: ${o.address}`,
    `  port: ${o.port}`,
    '  do-ip6: no',
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: "${o.dir}"`,
    `  pidfile: ${file('pid')}`,
    '  database: ""',
    `  zonelistfile: ${file('zonelist')}`,
    `  xfrdfile: ${file('xfrd.state')}`,
    `  xfrdir: "${o.dir}"`,
    '  server-count: 1',
    '  verbosity: 1',
    '  rrl-ratelimit: 0',
    '  minimal-responses: no',
    'remote-control:',
    '  control-enable: no',
    ...o.zones.flatMap((z) => ['zone:', `  name: "${z.name}"`, `  zonefile: "${z.file}"`]),
  ];
  const path = join(o.dir, `${o.name}.conf`);
  writeFileSync(path, conf.join('\n') + '\n');
  return startServer(`${o.name} (nsd on ${o.address}:${o.port})`, 'nsd', ['-d', '-c', path], /nsd started/);
}

export interface UnboundOptions extends Endpoint {
  readonly dir: string;
  /** A short name for its files and messages, e.g. `unbound-oracle`. */
  readonly name: string;
  /** The root-hints file: the test root's name server, the only one it knows. */
  readonly rootHints: string;
  /** Validate with this trust-anchor file (module-config "validator iterator"); without it: iterator only. */
  readonly trustAnchorFile?: string;
  /** Negative trust anchors (domain-insecure:): names below which it does not validate. */
  readonly domainInsecure?: readonly string[];
}

/**
 * A recursive Unbound in the foreground, with the test root as its only root and log lines on
 * stderr (unbound.conf(5) of Unbound 1.17). Without a trust anchor it only iterates: it still asks
 * with DO (the iterator always does) and passes DNSSEC records to a client that sets DO, and
 * answers CD queries. With one it validates, and says why at val-log-level 2.
 */
export async function startUnbound(o: UnboundOptions): Promise<ServerProcess> {
  const validating = o.trustAnchorFile !== undefined;
  const conf = [
    'server:',
    `  interface: ${o.address}@${o.port}`,
    `  port: ${o.port}`,
    '  do-ip6: no',
    '  num-threads: 1',
    '  so-reuseport: no',
    '  username: ""',
    '  chroot: ""',
    `  directory: "${o.dir}"`,
    `  pidfile: "${join(o.dir, `${o.name}.pid`)}"`,
    '  do-daemonize: no',
    '  use-syslog: no',
    '  logfile: ""',
    '  verbosity: 1',
    '  access-control: 127.0.0.0/8 allow',
    `  root-hints: "${o.rootHints}"`,
    // The test's name servers are all on 127.0.90.x.
    '  do-not-query-localhost: no',
    // Unbound answers some special-use names itself by default (RFC 6761 §6.2 allows it): ask the test root.
    '  local-zone: "test." nodefault',
    '  qname-minimisation: no',
    '  target-fetch-policy: "0 0 0 0 0"',
    '  harden-referral-path: no',
    '  prefetch: no',
    '  minimal-responses: no',
    `  module-config: "${validating ? 'validator iterator' : 'iterator'}"`,
    ...(validating ? [`  trust-anchor-file: "${o.trustAnchorFile}"`, '  val-log-level: 2'] : []),
    ...(o.domainInsecure ?? []).map((n) => `  domain-insecure: "${n}"`),
    'remote-control:',
    '  control-enable: no',
  ];
  const path = join(o.dir, `${o.name}.conf`);
  writeFileSync(path, conf.join('\n') + '\n');
  return startServer(`${o.name} (unbound on ${o.address}:${o.port})`, 'unbound', ['-d', '-c', path], /start of service/);
}
