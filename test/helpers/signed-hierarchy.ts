// A signed DNS hierarchy on loopback for the DNSSEC tests: a test root, the TLD example. and one zone per
// case under it, served by real NSDs, with a plain Unbound resolver, a validating Unbound oracle and
// a DNSSEC-stripping proxy in front.
/**
 * How Debian 12's Unbound 1.17.1 (the oracle) judges the cases where validators may differ, as
 * test/integration/dnssec-hierarchy.test.ts asserts:
 * - alg5.example. (RSASHA1, algorithm 5): secure, AD=1. Debian's OpenSSL 3 still verifies RSA/SHA-1
 *   signatures and Unbound validates algorithm 5 (RFC 8624 §3.1: MUST validate). dnsfwd's
 *   validator treats algorithm 5 as unsupported, so insecure (RFC 4035 §5.2): there the two differ.
 * - iter200.example. (NSEC3 with 200 iterations): Debian's Unbound 1.17.1 defaults
 *   val-nsec3-keysize-iterations to "1024 150 2048 150 4096 150" (unbound-checkconf -o), a cap of
 *   150 for every key size; above it an NSEC3 proof counts as insecure (RFC 9276 §3.2): a name
 *   that does not exist gets NXDOMAIN with AD=0. Positive answers need no NSEC3: they stay
 *   secure (www.iter200.example. A with AD=1).
 * - sha1ds.example. (delegated with a SHA-1 DS alone): secure, AD=1, for Unbound 1.17; dnsfwd
 *   treats SHA-1 digests as unsupported, so the delegation is insecure (RFC 4035 §5.2).
 * - optout.example.: a name that does not exist gets NXDOMAIN with AD=0, as its proof is an Opt-Out
 *   NSEC3 (RFC 5155 §9.2); www.unsigned.optout.example. (delegated with no DS) is insecure.
 * Start-up (keys, signing, 4 NSDs, 2 Unbounds) takes some 1.2-2 s on two cores shared with other
 * work (`startupMs`); the test prints it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig } from './dig.js';
import { startNsd, startUnbound, type Endpoint, type ServerProcess } from './dns-servers.js';
import { startStripper, type Stripper } from './dnssec-stripper.js';
import { buildZones, CASES, nsName, type Level } from './hierarchy-zones.js';
import { claimBlock, type Block } from './loopback-block.js';
import { requireRoot } from './tools.js';

export { CASES, type CaseName, UNSIGNED_UNDER_OPTOUT, WWW_A, ALTERED_A } from './hierarchy-zones.js';
export type { Endpoint } from './dns-servers.js';

export interface SignedHierarchyOptions {
  /** Key algorithm of every zone but alg5.example.: ldns-keygen's name (default ECDSAP256SHA256). */
  readonly algorithm?: 'ECDSAP256SHA256' | 'ED25519';
  /** The oracle's negative trust anchors (domain-insecure:); default [nta.example.]. */
  readonly domainInsecure?: readonly string[];
  /** Which 16 addresses of 127.0.90.0/24 to use (0-14: 127.0.90.(16·block+1) on); default the first one free. */
  readonly block?: number;
}

export interface QueryResult {
  /** dig's status: NOERROR, NXDOMAIN, SERVFAIL... (TIMEOUT if no reply came). */
  readonly rcode: string;
  readonly ad: boolean;
  /** The answer section, one `owner TYPE rdata` a record (no TTL, no class). */
  readonly answers: string[];
  /** dig's whole output, for messages. */
  readonly raw: string;
}

export interface QueryOptions {
  /** Set DO (+dnssec). */
  readonly dnssec?: boolean;
  /** Set CD (+cd). */
  readonly cd?: boolean;
  /** Seconds dig waits for the reply (default 10). */
  readonly timeout?: number;
}

export interface SignedHierarchy {
  /** The authoritative NSDs: one per level (root ., TLD example., the case zones, unsigned.optout.example.). */
  readonly servers: Readonly<Record<Level, Endpoint>>;
  /** Unbound, iterating only (no validation): DNSSEC records to a client that sets DO, CD answered. */
  readonly resolver: Endpoint;
  /** Unbound, validating against the test root's KSK, with the negative trust anchors asked for. */
  readonly oracle: Endpoint;
  /** The stripping proxy in front of the resolver (UDP only). */
  readonly stripper: Endpoint;
  /** The trust anchor, `. IN DS <tag> <alg> 2 <HEX>`. */
  readonly trustAnchorDs: string;
  /** The trust anchor, `. IN DNSKEY 257 3 <alg> <base64>`. */
  readonly trustAnchorDnskey: string;
  /** The root-hints file the resolvers use (in `dir`). */
  readonly rootHints: string;
  readonly cases: typeof CASES;
  /** The temporary directory: configs, keys, zone files; removed by stop(). */
  readonly dir: string;
  /** Milliseconds start-up took. */
  readonly startupMs: number;
  /** What the servers printed so far (one section each), for failure messages. */
  logs(): string;
  query(server: Endpoint, name: string, type: string, o?: QueryOptions): Promise<QueryResult>;
  /** Stops every process and the proxy and removes `dir`; a second call waits for the first. */
  stop(): Promise<void>;
}

/** Runs the real dig against `server` (test/helpers/dig.ts). */
export async function query(server: Endpoint, name: string, type: string, o: QueryOptions = {}): Promise<QueryResult> {
  const extra = [...(o.dnssec ? ['+dnssec'] : []), ...(o.cd ? ['+cd'] : [])];
  const r = await dig(server.address, server.port, name, { type, timeout: o.timeout ?? 10, extra });
  const answers = r.answers.map((a) => `${a.name} ${a.type} ${a.data}`);
  return { rcode: r.status, ad: r.flags.includes('ad'), answers, raw: r.raw };
}

interface Running {
  processes: ServerProcess[];
  stripper?: Stripper;
}

/** Waits for every start, each recorded in `run` once up; then rejects with the first failure, if any. */
async function startEach(run: Running, starts: Promise<ServerProcess>[]): Promise<void> {
  const settled = await Promise.allSettled(starts.map((s) => s.then((p) => (run.processes.push(p), p))));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function startAll(block: Block, dir: string, o: SignedHierarchyOptions, run: Running) {
  const servers: Record<Level, Endpoint> = { root: block.at(1), tld: block.at(2), child: block.at(3), grandchild: block.at(4) };
  const addresses = { root: servers.root.address, tld: servers.tld.address, child: servers.child.address, grandchild: servers.grandchild.address };
  const built = await buildZones(dir, addresses, o.algorithm ?? 'ECDSAP256SHA256', Math.floor(Date.now() / 1000));
  const levels = Object.keys(servers) as Level[];
  await startEach(run, levels.map((level) => startNsd({ ...servers[level], dir, name: `nsd-${level}`, zones: built.zones[level] })));
  const rootHints = join(dir, 'root.hints');
  writeFileSync(rootHints, `.\t3600000\tIN\tNS\t${nsName('.')}\n${nsName('.')}\t3600000\tIN\tA\t${servers.root.address}\n`);
  const anchorFile = join(dir, 'trust-anchor.ds');
  writeFileSync(anchorFile, `${built.rootKsk.ds}\n`);
  const resolver = block.at(10);
  const oracle = block.at(11);
  const domainInsecure = o.domainInsecure ?? [CASES.nta];
  await startEach(run, [
    startUnbound({ ...resolver, dir, name: 'unbound-resolver', rootHints }),
    startUnbound({ ...oracle, dir, name: 'unbound-oracle', rootHints, trustAnchorFile: anchorFile, domainInsecure }),
  ]);
  const s = block.at(12);
  run.stripper = await startStripper(s.address, s.port, resolver);
  return { servers, resolver, oracle, stripper: s, rootHints, trustAnchorDs: built.rootKsk.ds, trustAnchorDnskey: built.rootKsk.dnskey };
}

/** Generates, signs and starts the hierarchy (as root: the NSDs listen on port 53). */
export async function startSignedHierarchy(o: SignedHierarchyOptions = {}): Promise<SignedHierarchy> {
  requireRoot('the signed hierarchy runs NSD on port 53 of 127.0.90.x');
  const started = Date.now();
  const block = await claimBlock([1, 2, 3, 4, 10, 11, 12], o.block);
  const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-hierarchy-'));
  const run: Running = { processes: [] };
  const logs = () => run.processes.map((p) => `--- ${p.name}\n${p.output}`).join('\n');
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await Promise.all([...run.processes.map((p) => p.stop()), run.stripper?.stop()]);
      rmSync(dir, { recursive: true, force: true });
      block.release();
    })());
  try {
    const parts = await startAll(block, dir, o, run);
    return { ...parts, cases: CASES, dir, startupMs: Date.now() - started, logs, query, stop };
  } catch (err) {
    const output = logs();
    await stop();
    throw new Error(`the signed hierarchy did not start: ${(err as Error).message}${output ? `\n${output}` : ''}`);
  }
}
