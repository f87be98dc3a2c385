// Measures how fast dnsfwd follows a lease file (issue target: under 1 s) and how fast a dead
// upstream turns into SERVFAIL (target: well before the 5 s client timeout). Loopback only.
// Run: npm run bench:lease   (needs root, dnsmasq and dig, like the integration tests)
import dgram from 'node:dgram';
import { closeSync, openSync, writeFileSync, writeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startDnsfwd } from '../test/helpers/daemon.js';
import { startDnsmasq } from '../test/helpers/dnsmasq.js';
import { startFake } from '../test/helpers/fake-upstream.js';
import { leaseBlock } from '../test/helpers/lease.js';
import { decode, query } from '../test/helpers/packets.js';
import { freePort } from '../test/helpers/ports.js';

const LISTEN = '127.0.9.1';
const NS = ['127.0.9.3', '127.0.9.4'];
const ROUNDS = 20;

const sock = dgram.createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));

/** One query; resolves with the first A record's address (or the rcode), or 'timeout'. */
function ask(port: number, name: string, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 65536);
    const timer = setTimeout(() => (sock.off('message', on), resolve('timeout')), ms);
    const on = (m: Buffer) => {
      const p = decode(m);
      if (p.id !== id) return;
      clearTimeout(timer);
      sock.off('message', on);
      const a = p.answers?.[0] as { data?: unknown } | undefined;
      resolve(typeof a?.data === 'string' ? a.data : p.rcode);
    };
    sock.on('message', on);
    sock.send(query(name, 'A', { id }), port, LISTEN);
  });
}

async function followLatencies(port: number, leases: string): Promise<number[]> {
  const fd = openSync(leases, 'a'); // held open and appended to, as dhclient does
  const out: number[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    const want = `203.0.113.${(i % 2) + 1}`;
    const start = performance.now();
    writeSync(fd, leaseBlock([NS[i % 2]!]));
    while ((await ask(port, `r${i}.example.com`)) !== want) {
      if (performance.now() - start > 5000) throw new Error(`round ${i}: no switch within 5 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    out.push(performance.now() - start);
  }
  closeSync(fd);
  return out;
}

async function servfailLatency(port: number, name: string): Promise<number> {
  const start = performance.now();
  const r = await ask(port, name, 10_000);
  if (r !== 'SERVFAIL') throw new Error(`${name}: expected SERVFAIL, got ${r}`);
  return performance.now() - start;
}

const servers = await Promise.all(NS.map((address, i) => startDnsmasq({ address, records: [`--address=/example.com/203.0.113.${i + 1}`] })));
const silentPort = await freePort('127.0.9.5');
const silent = await startFake({ address: '127.0.9.5', port: silentPort, answer: () => 'silent' });
const deadPort = await freePort('127.0.9.6');
const dir = mkdtempSync(`${tmpdir()}/dnsfwd-bench-`);
const leases = `${dir}/dhclient.leases`;
writeFileSync(leases, leaseBlock([NS[0]!]));
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--listen', `${LISTEN}:${port}`, '--lease-file', leases,
  '--route', `silent.test=127.0.9.5:${silentPort}`, '--route', `dead.test=127.0.9.6:${deadPort}`,
]);
try {
  const follow = (await followLatencies(port, leases)).sort((a, b) => a - b);
  const silentMs = await servfailLatency(port, 'x.silent.test');
  const deadMs = await servfailLatency(port, 'x.dead.test');
  const f = (n: number) => `${n.toFixed(0)} ms`;
  console.log(`| measure | result |\n|---|---|`);
  console.log(`| lease append → new server answering (${ROUNDS} rounds) | median ${f(follow[ROUNDS >> 1]!)}, max ${f(follow[ROUNDS - 1]!)} |`);
  console.log(`| silent upstream → SERVFAIL | ${f(silentMs)} |`);
  console.log(`| refused upstream (ICMP) → SERVFAIL | ${f(deadMs)} |`);
} finally {
  await daemon.stop();
  await Promise.all([...servers.map((s) => s.stop()), silent.close()]);
  sock.close();
  rmSync(dir, { recursive: true });
}
