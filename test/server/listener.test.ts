// What every listener shares, on real UDP and TCP sockets: a socket error after the bind is logged,
// not thrown, and the listener keeps answering.
import type { EventEmitter } from 'node:events';
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { Responder } from '../../src/server/responder.js';
import { TcpListener } from '../../src/server/tcp.js';
import { UdpListener } from '../../src/server/udp.js';
import { captureLog, quietLogger } from '../helpers/logger.js';
import { pipelineOf } from '../helpers/pipeline.js';
import { answer, decode, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { TcpClient } from '../helpers/tcp-client.js';
import { udpExchange } from '../helpers/udp-client.js';
import { defaultPolicy } from '../helpers/clients.js';

const ADDR = '127.0.41.1';

const responder = () => new Responder(pipelineOf((q) => answer(q.bytes, ['10.0.0.1'])), { deadlineMs: 2000, udpMaxSize: 4096 }, quietLogger(), defaultPolicy());

async function endpoint() {
  const r = parseEndpoint(`${ADDR}:${await freePort(ADDR)}`);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

const socketOf = (l: UdpListener | TcpListener) => (l as unknown as { socket: EventEmitter }).socket;

// Without an 'error' listener once bound, a socket error would be thrown and take the daemon down.
t.test('a socket error after the bind is a warning; UDP and TCP keep answering', async (t) => {
  const log = captureLog();
  const ep = await endpoint();
  const udp = new UdpListener(ep, responder(), log.logger);
  const tcp = new TcpListener(ep, responder(), { idleTimeoutMs: 10_000, messageTimeoutMs: 10_000, maxConnections: 10, maxConnectionsPerClient: 10 }, log.logger);
  t.teardown(() => Promise.all([udp.close(), tcp.close()]));
  await udp.listen();
  await tcp.listen();
  socketOf(udp).emit('error', new Error('ENOBUFS'));
  socketOf(tcp).emit('error', new Error('EMFILE'));
  t.match(log.warnings(), [
    { msg: 'UDP socket error', err: { message: 'ENOBUFS' } },
    { msg: 'TCP socket error', err: { message: 'EMFILE' } },
  ]);
  t.equal(decode(await udpExchange(ADDR, ep.port, query('a.example', 'A', { id: 3 }))).id, 3, 'UDP still answers');
  const c = await TcpClient.connect(ADDR, ep.port);
  t.teardown(() => c.destroy());
  c.send(query('a.example', 'A', { id: 4 }));
  t.equal(decode((await c.waitReplies(1))[0]!).id, 4, 'TCP still answers');
});

// A send to a client failing (ENOBUFS under a flood, EPERM from a firewall) raises a socket error
// each time: a line a minute per error code, with the count (injected clock).
t.test('socket errors: a line a minute per code, with the count, for UDP and TCP', async (t) => {
  const log = captureLog();
  let now = 0;
  const ep = await endpoint();
  const udp = new UdpListener(ep, responder(), log.logger, { recv: 0, send: 0 }, () => now);
  const tcp = new TcpListener(ep, responder(), { idleTimeoutMs: 10_000, messageTimeoutMs: 10_000, maxConnections: 10, maxConnectionsPerClient: 10 }, log.logger, () => now);
  t.teardown(() => Promise.all([udp.close(), tcp.close()]));
  await udp.listen();
  await tcp.listen();
  const err = (code: string) => Object.assign(new Error(code), { code });
  for (let i = 0; i < 100; i++) socketOf(udp).emit('error', err('ENOBUFS'));
  socketOf(udp).emit('error', err('EPERM'));
  socketOf(tcp).emit('error', err('EMFILE'));
  socketOf(tcp).emit('error', err('EMFILE'));
  t.match(log.warnings(), [
    { msg: 'UDP socket error', err: { code: 'ENOBUFS' }, count: 1 },
    { msg: 'UDP socket error', err: { code: 'EPERM' }, count: 1 },
    { msg: 'TCP socket error', err: { code: 'EMFILE' }, count: 1 },
  ]);
  t.equal(log.lines.length, 3, 'one line per code');
  now = 60_000;
  socketOf(udp).emit('error', err('ENOBUFS'));
  t.match(log.lines.slice(3), [{ msg: 'UDP socket error', err: { code: 'ENOBUFS' }, count: 100 }], 'a minute on: the count since');
});

/** Counts the calls of a listener's transport shutdown; returns the count so far. */
function countShutdowns(l: UdpListener | TcpListener): () => number {
  const target = l as unknown as { shutdown: () => Promise<void> };
  const shutdown = target.shutdown.bind(l);
  let n = 0;
  target.shutdown = () => (n++, shutdown());
  return () => n;
}

// close() is idempotent: a second call (a shutdown after a failed reload, say) resolves too.
t.test('close() twice resolves both times, for UDP and TCP', async (t) => {
  const ep = await endpoint();
  const udp = new UdpListener(ep, responder(), quietLogger());
  const tcp = new TcpListener(ep, responder(), { idleTimeoutMs: 10_000, messageTimeoutMs: 10_000, maxConnections: 10, maxConnectionsPerClient: 10 }, quietLogger());
  const shutdowns = [countShutdowns(udp), countShutdowns(tcp)];
  await udp.listen();
  await tcp.listen();
  await Promise.all([udp.close(), tcp.close()]);
  t.same(await Promise.all([udp.close().then(() => 'udp'), tcp.close().then(() => 'tcp')]), ['udp', 'tcp']);
  t.same(shutdowns.map((n) => n()), [1, 1], 'the socket is shut down once');
});

// idle() resolves when the last answer in flight is done, not before (one of two released) and not never.
t.test('idle() waits for every answer in flight, then resolves', async (t) => {
  const held: (() => void)[] = [];
  const handler = (q: { bytes: Buffer }) => new Promise<Buffer>((res) => held.push(() => res(answer(q.bytes, ['10.0.0.1']))));
  const r = new Responder(pipelineOf(handler), { deadlineMs: 60_000, udpMaxSize: 4096 }, quietLogger(), defaultPolicy());
  const ep = await endpoint();
  const udp = new UdpListener(ep, r, quietLogger());
  t.teardown(() => udp.close());
  await udp.listen();
  const first = udpExchange(ADDR, ep.port, query('a.example', 'A', { id: 1 }));
  const second = udpExchange(ADDR, ep.port, query('b.example', 'A', { id: 2 }));
  while (held.length < 2) await new Promise((res) => setTimeout(res, 10));
  let idle = false;
  void udp.idle().then(() => (idle = true));
  held[0]!();
  t.equal(decode(await first).id, 1);
  t.notOk(idle, 'one answer still in flight: not idle (checked after the first reply arrived)');
  held[1]!();
  t.equal(decode(await second).id, 2);
  t.ok(idle, 'idle once the last answer went out (woken before its reply arrived)');
});
