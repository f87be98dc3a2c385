// Blind spoofing (RFC 5452), end to end through the built daemon: a source port serves at most 4
// upstream queries; a reply with the right ID but the name in another letter case (0x20) is not
// taken; a server that does not echo case still answers, said once; a flood of unwanted replies
// sends the query over TCP, where the server's own answer comes.
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket, { type Packet } from 'dns-packet';
import t from 'tap';

import { FrameReader, frame } from '../../src/wire/framing.js';
import { startDnsfwd } from '../helpers/daemon.js';
import { isLoopProbe } from '../helpers/fake-upstream.js';
import { decode, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { rawReply } from '../helpers/raw-upstream.js';
import { udpExchange } from '../helpers/udp-client.js';

const LISTEN = '127.0.65.1';
const SERVER = '127.0.65.2';

type Behaviour = 'hold' | 'forge' | 'lower' | 'flood';

interface Seen {
  readonly name: string;
  readonly transport: 'udp' | 'tcp';
  readonly port: number;
}

/**
 * One upstream on SERVER for every zone, whose behaviour over UDP depends on the zone (the name's
 * second label): `hold` answers once `release()` is called; `forge` sends a reply with the right ID
 * and one letter of the name in the other case (10.65.6.6, TTL 3600), then the right one; `lower`
 * answers with the name in lower case, over TCP too; `flood` sends 20 datagrams with other IDs and
 * no answer. Over TCP every zone but `lower` gets the right answer, 10.65.0.1.
 */
async function startServer(port: number) {
  const seen: Seen[] = [];
  const held: (() => void)[] = [];
  const right = (d: Packet) => rawReply({ decoded: d }, { addresses: ['10.65.0.1'] });
  const lowered = (d: Packet) => {
    const q = d.questions![0]!;
    return rawReply({ decoded: { ...d, questions: [{ ...q, name: q.name.toLowerCase() }] } }, { addresses: ['10.65.0.1'] });
  };
  const behaviour = (name: string) => name.toLowerCase().split('.')[1] as Behaviour;
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const d = dnsPacket.decode(msg);
    const name = d.questions?.[0]?.name ?? '';
    const send = (b: Buffer, then?: () => void) => udp.send(b, rinfo.port, rinfo.address, then);
    if (isLoopProbe(name)) return send(Buffer.from(dnsPacket.encode({ ...d, type: 'response', flags: 0x8183 } as Packet)));
    seen.push({ name, transport: 'udp', port: rinfo.port });
    switch (behaviour(name)) {
      case 'hold':
        return void held.push(() => send(right(d)));
      case 'forge': {
        const forged = rawReply({ decoded: d }, { addresses: ['10.65.6.6'], ttl: 3600 });
        const at = forged.indexOf(Buffer.from(name.split('.')[0]!, 'latin1'), 12); // the first label's letters
        forged[at] ^= 0x20;
        return send(forged, () => send(right(d)));
      }
      case 'lower':
        return send(lowered(d));
      case 'flood':
        for (let i = 1; i <= 20; i++) {
          const stray = right(d);
          stray.writeUInt16BE((d.id! + i) & 0xffff, 0);
          send(stray);
        }
        return;
    }
  });
  await new Promise<void>((r) => udp.bind(port, SERVER, r));
  const tcp = net.createServer((s) => {
    s.on('error', () => s.destroy());
    const frames = new FrameReader();
    s.on('data', (chunk) => {
      for (const msg of frames.push(chunk)) {
        const d = dnsPacket.decode(msg);
        const name = d.questions?.[0]?.name ?? '';
        seen.push({ name, transport: 'tcp', port: s.remotePort ?? 0 });
        s.write(frame(behaviour(name) === 'lower' ? lowered(d) : right(d)));
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(port, SERVER, r));
  return {
    seen,
    held,
    for: (zone: Behaviour) => seen.filter((s) => s.name.toLowerCase().split('.')[1] === zone),
    close: () => (udp.close(), new Promise<void>((r) => tcp.close(() => r()))),
  };
}

const serverPort = await freePort(SERVER);
const server = await startServer(serverPort);
const dir = mkdtempSync(join(tmpdir(), 'dnsfwd-spoofing-'));
writeFileSync(join(dir, 'dnsfwd.yaml'), 'log_level: debug\n');
const port = await freePort(LISTEN);
const daemon = await startDnsfwd([
  '--config', join(dir, 'dnsfwd.yaml'),
  '--listen', `${LISTEN}:${port}`,
  '--upstream', `${SERVER}:${serverPort}`,
  '--lease-file', '/nonexistent/dhclient.leases',
]);
t.teardown(async () => {
  await daemon.stop();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const ask = (name: string, id = 0x4242) => udpExchange(LISTEN, port, query(name, 'A', { id }));
const addressOf = (r: Buffer) => (decode(r).answers?.find((a) => a.type === 'A') as { data?: string } | undefined)?.data;
const questionOf = (r: Buffer) => decode(r).questions?.[0]?.name;

t.test('a source port serves at most 4 queries', async (t) => {
  const n = 40;
  const answers = Array.from({ length: n }, (_, i) => ask(`p${i}.hold.test`, i));
  // All 40 are held at the server at once: the sockets they left from are all open together, so
  // none can have been closed and its port given to another socket.
  while (server.for('hold').length < n) await new Promise((r) => setTimeout(r, 10));
  for (const release of server.held.splice(0)) release();
  const replies = await Promise.all(answers);
  t.same(replies.map(addressOf), Array(n).fill('10.65.0.1'), 'all answered');
  const perPort = new Map<number, number>();
  for (const s of server.for('hold')) perPort.set(s.port, (perPort.get(s.port) ?? 0) + 1);
  t.ok(Math.max(...perPort.values()) <= 4, `${n} queries from ${perPort.size} ports, at most ${Math.max(...perPort.values())} from one`);
  t.ok(perPort.size >= n / 4);
});

t.test('a reply with the right ID but the name in another case is not taken', async (t) => {
  const r = await ask('Forged1.forge.test');
  t.equal(addressOf(r), '10.65.0.1', 'the server\'s answer, not the forged 10.65.6.6');
  t.equal(questionOf(r), 'Forged1.forge.test', 'in the client\'s spelling');
  const again = await ask('forged1.FORGE.test');
  t.equal(addressOf(again), '10.65.0.1', 'nor was the forged answer cached');
  t.ok(server.for('forge').some((s) => s.transport === 'tcp'), 'asked again over TCP');
  await daemon.waitForLog((l) => l.msg === 'replies forged in the name of an upstream: queries asked again over TCP' && l.server === `${SERVER}:${serverPort}`);
});

t.test('a flood of unwanted replies sends the query over TCP, which gets the server\'s answer', async (t) => {
  const r = await ask('f1.flood.test');
  t.equal(addressOf(r), '10.65.0.1');
  t.same(server.for('flood').map((s) => s.transport), ['udp', 'tcp']);
  // The warning itself is throttled to one a minute per server, and the test above had it: the debug line says why.
  await daemon.waitForLog((l) => l.msg === 'replies not the server\'s: retrying over TCP' && l.reason === 'UPSTREAM_UNWANTED');
});

t.test('a server that does not echo the case still answers; said once, at warn', async (t) => {
  for (let i = 0; i < 5; i++) {
    const name = `MiXeD${i}.lower.test`;
    const r = await ask(name);
    t.equal(addressOf(r), '10.65.0.1', `${name} answered`);
    t.equal(questionOf(r), name, 'in the client\'s spelling');
  }
  const lower = server.for('lower');
  t.same(lower.slice(0, 2).map((s) => s.transport), ['udp', 'tcp'], 'the first: its reply in another case, asked again over TCP');
  t.same(lower.slice(2).map((s) => s.transport), ['udp', 'udp', 'udp', 'udp'], 'then UDP only');
  t.same(lower.slice(2).map((s) => s.name), ['MiXeD1.lower.test', 'MiXeD2.lower.test', 'MiXeD3.lower.test', 'MiXeD4.lower.test'], 'in the client\'s spelling, without 0x20');
  // The daemon's last line comes after every line of the queries above.
  await daemon.stop();
  const said = daemon.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('upstream does not echo the letter case'));
  t.equal(said.length, 1, 'said once, not once a query');
  t.equal(said[0]?.level, 40);
});
