// Slow TCP clients against dnsfwd (dist/dnsfwd.mjs, with a fake upstream): N connections, each
// sending one byte of a query every INTERVAL ms and connecting again 3 s after it is closed, while a
// TCP client of our own (from 127.0.0.1) asks a query on a new connection every 200 ms for SECONDS.
// Prints how long the first of those queries took to be answered, and the share answered within 2 s.
// Usage: node --import=@tapjs/typescript/import bench/tcp-slow-clients.ts [N] [INTERVAL_MS] [SECONDS] [SOURCES]
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startDnsfwd } from '../test/helpers/daemon.js';
import { aRecord, startFake } from '../test/helpers/fake-upstream.js';
import { query } from '../test/helpers/packets.js';
import { freePort } from '../test/helpers/ports.js';
import { FrameReader, frame } from '../src/wire/framing.js';

const [N = 300, INTERVAL_MS = 3000, SECONDS = 30, SOURCES = 1] = process.argv.slice(2).map(Number);
const LISTEN = '127.0.63.1';
const UP = '127.0.63.2';
/** The slow clients' addresses: 127.0.63.10 on. */
const sources = Array.from({ length: SOURCES }, (_, i) => `127.0.63.${10 + i}`);
const WITHIN_MS = 2000;
const PROBE_EVERY_MS = 200;

const upPort = await freePort(UP);
const up = await startFake({ address: UP, port: upPort, answer: (name) => ({ answers: [aRecord(name, '10.63.0.1')] }) });
const port = await freePort(LISTEN);
const dir = mkdtempSync(`${tmpdir()}/dnsfwd-bench-`);
writeFileSync(`${dir}/dnsfwd.yaml`, [`listen: ["${LISTEN}:${port}"]`, 'routes: []', `default: { sources: [], servers: ["${UP}:${upPort}"] }`, ''].join('\n'));
const daemon = await startDnsfwd(['--config', `${dir}/dnsfwd.yaml`]);

let stopping = false;
const slow = new Set<net.Socket>();
let connectedOnce = 0;
function slowClient(from: string, first = true): void {
  const bytes = frame(query('slow.example'));
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const s = net.connect({ host: LISTEN, port, localAddress: from });
  slow.add(s);
  s.on('error', () => {});
  const settled = () => first && (first = false, connectedOnce++);
  s.on('connect', () => {
    settled();
    const send = () => sent < bytes.length && s.write(bytes.subarray(sent, ++sent));
    send();
    timer = setInterval(send, INTERVAL_MS);
  });
  s.on('close', () => {
    settled();
    clearInterval(timer);
    slow.delete(s);
    if (!stopping) setTimeout(() => stopping || slowClient(from, false), 3000);
  });
}

/** One query on a new connection: ms until answered, or null if not within WITHIN_MS. */
function probe(id: number): Promise<number | null> {
  return new Promise((resolve) => {
    const start = performance.now();
    const s = net.connect({ host: LISTEN, port });
    const reader = new FrameReader();
    const done = (v: number | null) => (clearTimeout(timer), s.destroy(), resolve(v));
    const timer = setTimeout(() => done(null), WITHIN_MS);
    s.on('error', () => {});
    s.on('connect', () => s.write(frame(query(`p${id}.example`, 'A', { id: id & 0xffff }))));
    s.on('data', (c: Buffer) => reader.push(c).length > 0 && done(performance.now() - start));
  });
}

async function cleanUp(): Promise<void> {
  stopping = true;
  for (const s of slow) s.destroy();
  await daemon.stop();
  await up.close();
  rmSync(dir, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

try {
  for (let i = 0; i < N; i++) slowClient(sources[i % sources.length]!);
  while (connectedOnce < N) await new Promise((r) => setTimeout(r, 50));
  const floodAt = performance.now();
  const pending: Promise<void>[] = [];
  const results: (number | null)[] = [];
  let firstAnswerMs: number | null = null;
  for (let id = 0; performance.now() - floodAt < SECONDS * 1000; id++) {
    const sentAt = performance.now();
    pending.push(
      probe(id).then((ms) => {
        results.push(ms);
        if (ms !== null && firstAnswerMs === null) firstAnswerMs = sentAt + ms - floodAt;
      }),
    );
    await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
  }
  await Promise.all(pending);
  const answered = results.filter((ms): ms is number => ms !== null).sort((a, b) => a - b);
  const median = answered.length ? answered[Math.floor(answered.length / 2)]!.toFixed(1) : '-';
  console.log(`slow clients: ${N} from ${SOURCES} address(es), one byte every ${INTERVAL_MS} ms, reconnecting 3 s after a close`);
  console.log(`probe queries over ${SECONDS} s (a new TCP connection every ${PROBE_EVERY_MS} ms): ${results.length}`);
  console.log(`answered within ${WITHIN_MS} ms: ${answered.length} (${((100 * answered.length) / results.length).toFixed(1)}%), median ${median} ms`);
  console.log(`first answer: ${firstAnswerMs === null ? `none within ${SECONDS} s` : `${(firstAnswerMs as number).toFixed(0)} ms after the slow clients were connected`}`);
} finally {
  await cleanUp();
}
