// Measures what a hostile lease file costs the clients: while a canary client asks every 20 ms
// (1 s timeout), the watched dhclient file becomes (1) a 200 MB file of valid blocks, (2) a symlink
// to /dev/zero, (3) a 1.5 MB file of valid blocks naming another server. For each phase: queries
// asked, unanswered, slowest and p99 answer; then the daemon's peak RSS (VmHWM) and whether it is
// still running. A phase ends when the daemon says what it made of the file, or after
// BENCH_PHASE_SECONDS (30). Loopback only.
// Run: npm run bench:lease-chaos   (needs root; BENCH_BIG_MB sets the big file's size, default 200)
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsfwd, type DaemonProcess, type LogLine } from '../test/helpers/daemon.js';
import { aRecord, startFake } from '../test/helpers/fake-upstream.js';
import { leaseBlock } from '../test/helpers/lease.js';
import { decode, query } from '../test/helpers/packets.js';
import { freePort } from '../test/helpers/ports.js';

const LISTEN = '127.0.10.1';
const FIRST = '127.0.10.2';
const SECOND = '127.0.10.3';
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 200);
const PHASE_MS = Number(process.env.BENCH_PHASE_SECONDS ?? 30) * 1000;

const first = await startFake({ address: FIRST, port: 53, answer: (name) => ({ answers: [aRecord(name, '10.10.0.2', 0)] }) });
const second = await startFake({ address: SECOND, port: 53, answer: (name) => ({ answers: [aRecord(name, '10.10.0.3', 0)] }) });
const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-lease-chaos-'));
const leases = join(dir, 'dhclient.leases');
writeFileSync(leases, leaseBlock([FIRST]));
const port = await freePort(LISTEN);
const d = await startDnsfwd(['--listen', `${LISTEN}:${port}`, '--lease-file', leases]);

/** The canary: one query every 20 ms, each answered or given up after 1 s. */
const sock = dgram.createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
const waiting = new Map<number, { sent: bigint; timer: NodeJS.Timeout }>();
let results: (number | null)[] = [];
sock.on('message', (m) => {
  const w = waiting.get(decode(m).id ?? -1);
  if (!w) return;
  clearTimeout(w.timer);
  waiting.delete(decode(m).id!);
  results.push(Number(process.hrtime.bigint() - w.sent) / 1e6);
});
let id = 0;
const ticker = setInterval(() => {
  const qid = id++ & 0xffff;
  const timer = setTimeout(() => (waiting.delete(qid), results.push(null)), 1000);
  waiting.set(qid, { sent: process.hrtime.bigint(), timer });
  sock.send(query(`c${qid}.example.com`, 'A', { id: qid }), port, LISTEN);
}, 20);

/** Waits for a log line matching `pred` (from `since`), the daemon's exit, or PHASE_MS. */
async function phaseEnd(daemon: DaemonProcess, since: number, pred: (l: LogLine) => boolean): Promise<string> {
  const seen = daemon.waitForLog(pred, PHASE_MS, since).then((l) => `${l.msg}${l.reason ? `: ${String(l.reason)}` : ''}`);
  const exited = daemon.exited.then((code) => `dnsfwd exited (${code})`);
  return Promise.race([seen, exited]).catch(() => `nothing said within ${PHASE_MS / 1000} s`);
}

const rows: string[] = [];
async function phase(name: string, change: () => Promise<void>, pred: (l: LogLine) => boolean): Promise<void> {
  results = [];
  const since = d.logs.length;
  await change();
  const said = await phaseEnd(d, since, pred);
  await new Promise((r) => setTimeout(r, 1200)); // the last queries' answers or timeouts
  const answered = results.filter((r): r is number => r !== null).sort((a, b) => a - b);
  const p99 = answered[Math.floor(answered.length * 0.99)] ?? NaN;
  const max = answered[answered.length - 1] ?? NaN;
  rows.push(`| ${name} | ${results.length} | ${results.length - answered.length} | ${max.toFixed(1)} | ${p99.toFixed(1)} | ${said.slice(0, 90)} |`);
}

const block = leaseBlock([SECOND]);
const unusable = (l: LogLine) => l.msg === 'source file unusable; keeping the last good servers';
const changed = (l: LogLine) => l.msg === 'default route servers changed';
await phase(`${BIG_MB} MB of valid blocks`, async () => {
  const chunk = block.repeat(Math.ceil(1_048_576 / block.length));
  const fd = await open(join(dir, 'big.tmp'), 'w');
  for (let written = 0; written < BIG_MB * 1_048_576; written += chunk.length) await fd.write(chunk);
  await fd.close();
  renameSync(join(dir, 'big.tmp'), leases);
}, (l) => unusable(l) || changed(l));
await phase('symlink to /dev/zero', async () => {
  rmSync(leases);
  symlinkSync('/dev/zero', leases);
}, (l) => unusable(l) || changed(l));
await phase('1.5 MB of valid blocks', async () => {
  rmSync(leases);
  writeFileSync(join(dir, 'ok.tmp'), block.repeat(Math.ceil(1_500_000 / block.length)));
  renameSync(join(dir, 'ok.tmp'), leases);
}, (l) => changed(l) || unusable(l));

clearInterval(ticker);
const status = d.alive ? readFileSync(`/proc/${d.child.pid}/status`, 'utf8') : '';
const hwm = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
console.log('| the lease file became | queries | unanswered (1 s) | slowest ms | p99 ms | what dnsfwd said |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log('');
console.log(`dnsfwd ${d.alive ? 'still running' : 'not running'}; peak RSS (VmHWM) ${hwm ? `${(Number(hwm) / 1024).toFixed(1)} MiB` : 'unknown'}`);
await d.stop();
sock.close();
await Promise.all([first.close(), second.close()]);
rmSync(dir, { recursive: true, force: true });
