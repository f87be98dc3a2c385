// Measures what one client, or one dead server, does to everyone else's upstream choice, and how
// much dnsfwd logs meanwhile, with the built daemon and fake upstreams on loopback:
//
// - steering: the route steer.test has servers A then B. A refuses the names one client asks
//   (`r<N>.steer.test`, at BENCH_STEER_RATE q/s), B answers everything. Other clients ask 30,000
//   other names of the route (BENCH_QUERIES, at BENCH_RATE q/s). Counted: how many of the other
//   clients' answers came from B (they should all come from A, which answers them).
// - black hole: the route hole.test has servers A (silent) then B, `down_ms` BENCH_DOWN_MS. A
//   client asks it at BENCH_RATE/5 q/s for BENCH_HOLE_SECONDS. Counted: queries answered later
//   than timeout_ms (each waited for A to time out), per down period.
// - refused zone: the default route's server answers `.` but refuses the zone lan.test (a DHCP
//   server that refuses its lease's search domain), which is routed to it too.
//
// For each, the daemon's log lines at info and above during the run, by message.
// Run: npm run bench:steering
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsfwd, type DaemonProcess } from '../test/helpers/daemon.js';
import { freePort } from '../test/helpers/ports.js';
import { rawReply, startRawUpstream, type RawQuery } from '../test/helpers/raw-upstream.js';
import { query } from '../test/helpers/packets.js';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 30_000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const STEER_RATE = Number(process.env.BENCH_STEER_RATE ?? 100);
const DOWN_MS = Number(process.env.BENCH_DOWN_MS ?? 5000);
const HOLE_SECONDS = Number(process.env.BENCH_HOLE_SECONDS ?? 20);
const TIMEOUT_MS = 1000;
const LISTEN = '127.0.69.1';
const A = '127.0.69.2';
const B = '127.0.69.3';

const name = (q: RawQuery) => q.decoded.questions![0]!.name.toLowerCase();

interface Load {
  sent: number;
  answered: number;
  /** Answers per first A record. */
  byAddress: Map<string, number>;
  /** Answers that took longer than TIMEOUT_MS. */
  slow: number;
  /** Of those, the ones sent after the first 2 × TIMEOUT_MS (when the first timeout has been seen). */
  slowLater: number;
}

/** Sends `total` queries at `rate` per second from one socket; resolves 3 s after the last. */
async function load(port: number, qname: (i: number) => string, rate: number, total: number): Promise<Load> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const sentAt = new Map<number, number>();
  const out: Load = { sent: 0, answered: 0, byAddress: new Map(), slow: 0, slowLater: 0 };
  const started = performance.now();
  sock.on('message', (m) => {
    const id = m.readUInt16BE(0);
    const at = sentAt.get(id);
    if (at === undefined) return;
    sentAt.delete(id);
    out.answered++;
    if (performance.now() - at > TIMEOUT_MS) {
      out.slow++;
      if (at - started > 2 * TIMEOUT_MS) out.slowLater++;
    }
    const a = firstAddress(m);
    out.byAddress.set(a, (out.byAddress.get(a) ?? 0) + 1);
  });
  while (out.sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; out.sent < due; out.sent++) {
      const id = out.sent & 0xffff;
      sentAt.set(id, performance.now());
      sock.send(query(qname(out.sent), 'A', { id }), port, LISTEN);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 3000));
  sock.close();
  return out;
}

/** The first A record's address in a reply, or its RCODE. */
function firstAddress(m: Buffer): string {
  const rc = m[3]! & 0x0f;
  if (rc !== 0 || m.readUInt16BE(6) === 0) return `rcode ${rc}`;
  return Array.from(m.subarray(m.length - 4)).join('.');
}

/** Info+ log lines since `from`, by message. */
function logSummary(d: DaemonProcess, from: number): string {
  if (process.env.BENCH_VERBOSE) for (const l of d.logs.slice(from)) if ((l.level ?? 0) >= 30) console.log(`  ${JSON.stringify(l)}`);
  const counts = new Map<string, number>();
  let bytes = 0;
  for (const l of d.logs.slice(from)) {
    if ((l.level ?? 0) < 30) continue;
    bytes += JSON.stringify(l).length + 1;
    counts.set(String(l.msg), (counts.get(String(l.msg)) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const kinds = [...counts].map(([m, n]) => `${n}× "${m}"`).join(', ');
  return `${total} lines, ${bytes} bytes${kinds ? `: ${kinds}` : ''}`;
}

const aPort = await freePort(A);
const bPort = await freePort(B);
// A: refuses r*.steer.test and every name of lan.test, never answers hole.test, answers the rest.
const a = await startRawUpstream(A, aPort, (q) => {
  const n = name(q);
  if (n.endsWith('hole.test')) return null;
  if (n.endsWith('lan.test') || /^r\d+\.steer\.test$/.test(n)) return rawReply(q, { rcode: 5 });
  return rawReply(q, { addresses: ['10.69.0.1'], ttl: 0 });
});
const b = await startRawUpstream(B, bPort, (q) => rawReply(q, { addresses: ['10.69.0.2'], ttl: 0 }));
const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-steering-'));
writeFileSync(join(dir, 'dnsfwd.yaml'), `${process.env.BENCH_DEBUG ? "log_level: debug\n" : ""}upstream:\n  timeout_ms: ${TIMEOUT_MS}\n  down_ms: ${DOWN_MS}\n`);
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--config', join(dir, 'dnsfwd.yaml'),
  '--listen', `${LISTEN}:${port}`,
  '--route', `steer.test=${A}:${aPort},${B}:${bPort}`,
  '--route', `hole.test=${A}:${aPort},${B}:${bPort}`,
  '--route', `lan.test=${A}:${aPort}`,
  '--upstream', `${A}:${aPort}`,
  '--lease-file', '/nonexistent/dhclient.leases',
]);
try {
  let from = daemon.logs.length;
  const [others, steer] = await Promise.all([
    load(port, (i) => `n${i}.steer.test`, RATE, QUERIES),
    load(port, (i) => `r${i}.steer.test`, STEER_RATE, Math.round((QUERIES / RATE) * STEER_RATE)),
  ]);
  const fromB = others.byAddress.get('10.69.0.2') ?? 0;
  console.log(
    `steering: ${fromB} of ${others.answered} other clients' answers (${others.sent} sent) came from the second server ` +
      `while one client sent ${steer.sent} names the first refuses (${STEER_RATE} q/s against ${RATE} q/s)`,
  );
  console.log(`  log at info+: ${logSummary(daemon, from)}`);
  if (process.env.BENCH_DUMP) (await import('node:fs')).writeFileSync(process.env.BENCH_DUMP, daemon.logs.map((l) => JSON.stringify(l)).join('\n'));

  from = daemon.logs.length;
  const holeRate = Math.max(1, Math.round(RATE / 5));
  const hole = await load(port, (i) => `h${i}.hole.test`, holeRate, holeRate * HOLE_SECONDS);
  const periods = (HOLE_SECONDS * 1000 - 2 * TIMEOUT_MS) / DOWN_MS;
  console.log(
    `black hole: ${hole.slow} of ${hole.answered} queries (${hole.sent} sent, ${holeRate} q/s for ${HOLE_SECONDS} s) waited over ${TIMEOUT_MS} ms ` +
      `for the silent first server: ${hole.slow - hole.slowLater} in the first ${2 * TIMEOUT_MS} ms (sent before its first timeout), ` +
      `then ${hole.slowLater}, ${(hole.slowLater / periods).toFixed(1)} per down period of ${DOWN_MS} ms`,
  );
  console.log(`  log at info+: ${logSummary(daemon, from)}`);

  from = daemon.logs.length;
  const [lan, dot] = await Promise.all([
    load(port, (i) => `host${i}.lan.test`, RATE / 10, RATE),
    load(port, (i) => `w${i}.example`, RATE / 10, RATE),
  ]);
  console.log(
    `refused zone: ${lan.byAddress.get('rcode 5') ?? 0} of ${lan.sent} lan.test queries REFUSED, ` +
      `${dot.byAddress.get('10.69.0.1') ?? 0} of ${dot.sent} other names answered by the same server`,
  );
  console.log(`  log at info+: ${logSummary(daemon, from)}`);
  if (!daemon.alive) throw new Error('dnsfwd died');
} finally {
  await daemon.stop();
  await a.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
}
