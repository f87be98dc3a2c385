// DNSSEC validation on the miss path, against the signed hierarchy of the tests
// (test/helpers/signed-hierarchy.ts: NSDs on 127.0.90.x, a plain Unbound resolver in front): dnsperf
// (20 clients, 200 queries outstanding) sends names never asked before, so that every query is a miss
// whose answer is validated, to dnsfwd with `dnssec: validate` (forwarding to the plain Unbound), the
// same dnsfwd with `dnssec: off`, and the validating Unbound of the same hierarchy (which recurses
// itself). Two kinds of misses: wildcard answers (`N.wild.secure.example.`: an RRSIG to verify and an
// NSEC proof that the name itself does not exist) and NSEC3 NXDOMAINs (`N.nsec3.example.`: three
// NSEC3 records to hash and verify). Then hits: the same names asked again, from dnsfwd's cache.
// Per run: qps and the daemon's CPU per answered query (utime + stime from /proc/PID/stat).
// Run as root: npm run bench:dnssec (needs nsd, unbound, ldnsutils and dnsperf; BENCH_SECONDS, default 10;
// BENCH_CPU_PROF=DIR writes a V8 CPU profile of each dnsfwd there).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess } from '../test/helpers/daemon.js';
import { freePort } from '../test/helpers/ports.js';
import { CASES, startSignedHierarchy, type Endpoint } from '../test/helpers/signed-hierarchy.js';
import { CLI, requireRoot, requireTool, ROOT } from '../test/helpers/tools.js';

requireRoot('the signed hierarchy runs NSD on port 53 of 127.0.90.x');
for (const tool of ['nsd', 'unbound', 'ldns-signzone', 'dnsperf']) requireTool(tool);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const LINES = 60_000 * SECONDS; // more unique names than any system answers in the time
const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-bench-dnssec-'));
const h = await startSignedHierarchy();
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/i.test(k)));
const daemons: DaemonProcess[] = [];

/** dnsfwd (the bundle, under the node flags it asks for) on `address` with `mode`, forwarding to the plain resolver. */
async function dnsfwd(address: string, mode: string): Promise<{ at: Endpoint; pid: number }> {
  const port = await freePort(address);
  writeFileSync(join(dir, 'anchors.txt'), `${h.trustAnchorDs}\n`);
  const file = join(dir, `${mode}.yaml`);
  writeFileSync(
    file,
    [
      `listen: ["${address}:${port}"]`,
      `default: {sources: [], servers: ["${h.resolver.address}:${h.resolver.port}"]}`,
      `dnssec: {mode: ${mode}, trust_anchors: "${join(dir, 'anchors.txt')}"}`,
      'rate_limit: {responses_per_second: 0}',
      'cache: {size: 1000000, max_bytes: 268435456}',
      '',
    ].join('\n'),
  );
  const flags = execFileSync(process.execPath, [CLI, '--node-settings', 'run'], { encoding: 'utf8', env }).trim().split(' ');
  // BENCH_CPU_PROF=DIR: a V8 CPU profile of each dnsfwd, written to DIR when it stops.
  if (process.env.BENCH_CPU_PROF) flags.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`);
  const d = new DaemonProcess(spawn(process.execPath, [...flags, CLI, 'run', '--config', file, '--control-socket', join(dir, `${mode}.sock`)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, DNSFWD_RELAUNCHED: '1' } }));
  daemons.push(d);
  await d.waitForMsg('dnsfwd started', 20_000);
  return { at: { address, port }, pid: d.child.pid! };
}

/** CPU ticks (utime + stime) of `pid`. */
function ticks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

const HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Names file for dnsperf: `count` names from `make`. */
function names(file: string, count: number, make: (i: number) => string): string {
  const path = join(dir, file);
  writeFileSync(path, Array.from({ length: count }, (_, i) => `${make(i)} A`).join('\n') + '\n');
  return path;
}

interface Run {
  readonly qps: number;
  readonly completed: number;
  readonly usPerQuery: number;
  readonly codes: string;
}

/** dnsperf against `at` for SECONDS (each name once: -n 1), the CPU of `pid` over the run. */
async function perf(at: Endpoint, file: string, pid: number, once = true): Promise<Run> {
  const before = ticks(pid);
  const args = ['-s', at.address, '-p', String(at.port), '-d', file, '-c', '20', '-q', '200', '-T', '1', '-l', String(SECONDS), ...(once ? ['-n', '1'] : [])];
  const out = await new Promise<string>((resolve, reject) => execFile('dnsperf', args, { maxBuffer: 1 << 24 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
  const used = ticks(pid) - before;
  const completed = Number(/Queries completed:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const codes = /Response codes:\s+(.*)/.exec(out)?.[1] ?? '';
  return { qps, completed, usPerQuery: completed ? (used * 1e6) / HZ / completed : NaN, codes };
}

/** The pid of the process listening on `at` (UDP). */
function listener(at: Endpoint): number {
  const out = execFileSync('ss', ['-Hulpn', `src = ${at.address}:${at.port}`], { encoding: 'utf8' });
  return Number(/pid=(\d+)/.exec(out)?.[1]);
}

try {
  const validate = await dnsfwd('127.0.91.41', 'validate');
  const off = await dnsfwd('127.0.91.42', 'off');
  const oracle = { at: h.oracle, pid: listener(h.oracle) };
  const { secure, nsec3 } = CASES;
  const rows: string[] = [];
  const systems = [
    ['dnsfwd, dnssec: validate', validate],
    ['dnsfwd, dnssec: off', off],
    ['Unbound 1.17, validating (recursing itself)', oracle],
  ] as const;
  for (const [kind, make] of [
    ['wildcard answers', (p: string) => (i: number) => `${p}${i}.wild.${secure}`],
    ['NSEC3 NXDOMAIN', (p: string) => (i: number) => `${p}${i}.${nsec3}`],
  ] as const) {
    for (const [label, s] of systems) {
      const prefix = `${label.split(/[ ,]/)[0]}-${kind.split(' ')[0]}-${s.at.port}-`;
      const file = names(`${prefix}.txt`, LINES, make(prefix));
      const miss = await perf(s.at, file, s.pid);
      rows.push(`| ${label} | ${kind}, misses | ${Math.round(miss.qps)} | ${miss.usPerQuery.toFixed(1)} | ${miss.codes} |`);
      if (label.startsWith('dnsfwd')) {
        const hitFile = names(`${prefix}hits.txt`, 1000, make(prefix));
        const hit = await perf(s.at, hitFile, s.pid, false);
        rows.push(`| ${label} | ${kind}, hits (the first 1000 names again) | ${Math.round(hit.qps)} | ${hit.usPerQuery.toFixed(1)} | ${hit.codes} |`);
      }
    }
  }
  const report = [
    '## DNSSEC validation: misses and hits',
    '',
    '| system | load | qps | CPU µs/query | response codes |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `dnsperf -c 20 -q 200 -T 1 -l ${SECONDS} (UDP); misses: each name once (-n 1), never asked before; hits: 1000 of those names, cycled.` +
      ' dnsfwd forwards to a plain Unbound (iterator only) in front of the NSDs; the validating Unbound recurses to the NSDs itself.' +
      ' CPU: utime + stime of the process answering, over the run, ÷ the queries dnsperf counted answered (the plain Unbound and the NSDs apart).',
    `Machine: ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} at the end. src/ at ${execFileSync('git', ['-C', ROOT, 'log', '-1', '--format=%h', '--', 'src'], { encoding: 'utf8' }).trim()}.`,
    `Command: BENCH_SECONDS=${SECONDS} npm run bench:dnssec`,
  ].join('\n');
  console.log(report);
  writeFileSync(join(ROOT, 'bench/results/dnssec-latest.md'), report + '\n');
} finally {
  for (const d of daemons) await d.stop();
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
}
