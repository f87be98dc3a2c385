// Measures how many of N queries in flight are lost across a reload that moves the listen address:
// N distinct names against an upstream that answers each after BENCH_DELAY_MS, SIGHUP with a
// config that listens elsewhere once all N are forwarded, then the answers the client gets from the
// old address within the query deadline and a second. Loopback only (127.0.64.x).
// Run: npm run bench:reload   (the bundle of this checkout; BENCH_DNSFWD=path/to/dnsfwd.mjs for
// another build, BENCH_QUERIES=N, default 500; BENCH_DELAY_MS, default 1000)
import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess } from '../test/helpers/daemon.js';
import { aRecord, startFake } from '../test/helpers/fake-upstream.js';
import { decode, query } from '../test/helpers/packets.js';
import { freePort } from '../test/helpers/ports.js';
import { CLI } from '../test/helpers/tools.js';

const OLD = '127.0.64.1';
const NEW = '127.0.64.3';
const UPSTREAM = '127.0.64.2';
const N = Number(process.env.BENCH_QUERIES ?? 500);
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 1000);
const DEADLINE_MS = 4000;
const BATCH = 50;
const cli = process.env.BENCH_DNSFWD ?? CLI;

const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-bench-reload-'));
const upPort = await freePort(UPSTREAM);
const oldPort = await freePort(OLD);
const newPort = await freePort(NEW);
const up = await startFake({ address: UPSTREAM, port: upPort, answer: (n) => ({ answers: [aRecord(n, '10.64.0.1')], delayMs: DELAY_MS }) });
const config = (listen: string) =>
  [`listen: ["${listen}"]`, 'routes:', '  - zone: svc.test', `    servers: ["${UPSTREAM}:${upPort}"]`, 'default: { sources: [] }', `upstream: { timeout_ms: 3000, deadline_ms: ${DEADLINE_MS} }`, ''].join('\n');
const file = join(dir, 'dnsfwd.yaml');
writeFileSync(file, config(`${OLD}:${oldPort}`));

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/i.test(k)));
// The Node settings bin/dnsfwd would give it (the heap limit of this config's cache among them).
const settings = execFileSync(process.execPath, [cli, '--node-settings', 'run', '--config', file], { encoding: 'utf8', env }).trim().split(' ');
const d = new DaemonProcess(spawn(process.execPath, [...settings, cli, 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env }));
const client = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
try {
  await d.waitForMsg('dnsfwd started', 20_000);
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  const answered = new Set<number>();
  client.on('message', (msg) => {
    const p = decode(msg);
    if (p.rcode === 'NOERROR' && p.answers?.length === 1) answered.add(p.id!);
  });
  // In batches, each forwarded before the next is sent: the upstream's socket keeps its default buffer.
  for (let i = 0; i < N; i += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => i + k);
    for (const id of ids) client.send(query(`q-${id}.svc.test`, 'A', { id }), oldPort, OLD);
    await Promise.all(ids.map((id) => up.queried(`q-${id}.svc.test`)));
  }
  const inFlight = N - answered.size;
  writeFileSync(file, config(`${NEW}:${newPort}`));
  const since = d.logs.length;
  d.child.kill('SIGHUP');
  await d.waitForMsg('configuration reloaded', 10_000, since);
  await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS + 1000));
  const lost = N - answered.size;
  console.log(`| build | queries | in flight at the reload | answered | lost |`);
  console.log(`|---|---|---|---|---|`);
  console.log(`| ${process.env.BENCH_DNSFWD ?? 'dist/dnsfwd.mjs (this checkout)'} | ${N} | ${inFlight} | ${answered.size} | ${lost} |`);
} finally {
  client.close();
  await d.stop();
  await up.close();
  rmSync(dir, { recursive: true, force: true });
}
