// UdpListener on a real socket: answers datagrams; a datagram it cannot or must not answer (source
// port 0, too short, after stopAccepting) or an answer that fails never takes the listener down.
import dgram from 'node:dgram';
import t, { type Test } from 'tap';
import { parseEndpoint } from '../../src/address.js';
import type { Handler } from '../../src/pipeline/handler.js';
import { Responder } from '../../src/server/responder.js';
import { UdpListener } from '../../src/server/udp.js';
import { captureLog, quietLogger } from '../helpers/logger.js';
import { pipelineOf } from '../helpers/pipeline.js';
import { answer, decode, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { udpExchange } from '../helpers/udp-client.js';
import { defaultPolicy } from '../helpers/clients.js';
import { ClientPolicy } from '../../src/server/admission.js';

const ADDR = '127.0.13.1';

t.test('a datagram from port 0 is dropped before any work, synchronously or not; the listener keeps answering', async (t) => {
  for (const mode of ['at once', 'later'] as const) {
    const asked: string[] = [];
    const handler = (q: { bytes: Buffer; question: { name: string } }) => {
      asked.push(q.question.name);
      return mode === 'at once' ? answer(q.bytes, ['10.0.0.1']) : Promise.resolve(answer(q.bytes, ['10.0.0.1']));
    };
      const responder = new Responder(pipelineOf(handler), { deadlineMs: 500, udpMaxSize: 4096 }, quietLogger(), defaultPolicy());
    const port = await freePort(ADDR);
    const ep = parseEndpoint(`${ADDR}:${port}`);
    if (!ep.ok) throw new Error(ep.reason);
    const listener = new UdpListener(ep.value, responder, quietLogger());
    t.teardown(() => listener.close());
    await listener.listen();
    // What the kernel hands over for a crafted datagram with source port 0.
    const socket = (listener as unknown as { socket: dgram.Socket }).socket;
    socket.emit('message', query('zero.example'), { address: '127.0.13.9', family: 'IPv4', port: 0, size: 30 });
    const reply = decode(await udpExchange(ADDR, port, query('after.example', 'A', { id: 77 })));
    t.equal(reply.id, 77, `${mode}: still answering`);
    t.same(asked, ['after.example'], `${mode}: the port-0 datagram never reached the pipeline`);
  }
});

/** A listening UdpListener whose responder's pipeline is `handler`; closed at the end of the test. */
async function udpListener(t: Test, handler: Handler, log = quietLogger(), policy = defaultPolicy()) {
  const responder = new Responder(pipelineOf(handler), { deadlineMs: 2000, udpMaxSize: 4096 }, log, policy);
  const port = await freePort(ADDR);
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  const listener = new UdpListener(ep.value, responder, log);
  t.teardown(() => listener.close());
  await listener.listen();
  const socket = (listener as unknown as { socket: dgram.Socket }).socket;
  return { listener, port, socket, responder };
}

/** Resolves with the next datagram `socket` receives (its own listener has handled it by then). */
function nextDatagram(socket: dgram.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no datagram within 5000 ms')), 5000);
    socket.once('message', (m) => (clearTimeout(timer), resolve(m)));
  });
}

function sendFrom(msg: Buffer, port: number): void {
  const c = dgram.createSocket('udp4');
  c.send(msg, port, ADDR, () => c.close());
}

// Shutdown: once it stops accepting, the listener ignores new datagrams.
t.test('after stopAccepting, a datagram is not answered', async (t) => {
  const asked: string[] = [];
  const { listener, port, socket } = await udpListener(t, (q) => (asked.push(q.question.name), answer(q.bytes, ['10.0.0.1'])));
  listener.stopAccepting();
  const seen = nextDatagram(socket);
  sendFrom(query('late.example'), port);
  await seen;
  t.same(asked, [], 'it never reached the pipeline');
});

// A message the responder drops has no reply: nothing is sent, nothing throws.
t.test('a datagram too short for a query is dropped; the listener keeps answering', async (t) => {
  const { port, socket } = await udpListener(t, (q) => answer(q.bytes, ['10.0.0.1']));
  const seen = nextDatagram(socket);
  sendFrom(Buffer.from([1, 2, 3]), port);
  t.same([...(await seen)], [1, 2, 3], 'received and dropped');
  t.equal(decode(await udpExchange(ADDR, port, query('after.example', 'A', { id: 78 }))).id, 78, 'still answering');
});

// An answer that fails later (a bug in a stage) is logged, not left as an unhandled rejection.
t.test('a failing pending answer is logged; the listener keeps answering', async (t) => {
  const log = captureLog();
  const broken: Handler = (q) => (q.question.name === 'bad.example' ? Promise.resolve(undefined as unknown as Buffer) : answer(q.bytes, []));
  const { port } = await udpListener(t, broken, log.logger);
  sendFrom(query('bad.example'), port);
  await log.next((l) => l.msg === 'UDP answer failed');
  t.equal(decode(await udpExchange(ADDR, port, query('good.example', 'A', { id: 79 }))).id, 79, 'still answering');
});

// A client can make the same failure happen for every query: a line a minute, with the count.
t.test('failing answers: one line a minute with the count (injected clock)', async (t) => {
  const log = captureLog();
  let now = 0;
  const broken: Handler = (q) => (q.question.name === 'bad.example' ? Promise.resolve(undefined as unknown as Buffer) : answer(q.bytes, []));
  const responder = new Responder(pipelineOf(broken), { deadlineMs: 2000, udpMaxSize: 4096 }, quietLogger(), defaultPolicy());
  const port = await freePort(ADDR);
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  const listener = new UdpListener(ep.value, responder, log.logger, { recv: 0, send: 0 }, () => now);
  t.teardown(() => listener.close());
  await listener.listen();
  const failed = () => log.lines.filter((l) => l.msg === 'UDP answer failed');
  for (let i = 0; i < 5; i++) sendFrom(query('bad.example'), port);
  // A later query's answer comes after the failures before it were handled.
  t.equal(decode(await udpExchange(ADDR, port, query('good.example', 'A', { id: 80 }))).id, 80);
  await log.next((l) => l.msg === 'UDP answer failed');
  t.match(failed(), [{ count: 1 }], 'five failures, one line');
  t.equal(failed().length, 1);
  now = 60_000;
  sendFrom(query('bad.example'), port);
  await log.next((l) => l.msg === 'UDP answer failed', log.lines.indexOf(failed()[0]!) + 1);
  t.match(failed(), [{ count: 1 }, { count: 5 }], 'a minute on: the failures since');
  t.equal(failed().length, 2);
});

// Shutdown: an answer that completes after close() is discarded; sending it must not throw.
t.test('an answer completing after close() is discarded without an error', async (t) => {
  let asked = () => {};
  const handled = new Promise<void>((resolve) => (asked = resolve));
  let release = () => {};
  const handler: Handler = (q) => {
    asked();
    return new Promise((resolve) => (release = () => resolve(answer(q.bytes, ['10.0.0.1']))));
  };
  const log = captureLog();
  const { listener, port, socket, responder } = await udpListener(t, handler, log.logger);
  sendFrom(query('late.example'), port);
  await handled;
  await listener.close();
  release();
  await responder.drain(10_000); // resolves once the reply was handed to the (closed) listener
  t.throws(() => socket.address(), { code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }, 'the socket is closed, and nothing threw');
  t.same(log.lines.filter((l) => l.msg === 'UDP reply not sent'), [], 'a closed listener does not even try to send');
});

/** Sends `msg` from `address` (any 127/8 address is this host's) and resolves with the reply. */
async function exchangeFrom(address: string, port: number, msg: Buffer): Promise<Buffer> {
  const c = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve) => c.bind(0, address, resolve));
    const reply = nextDatagram(c);
    c.send(msg, port, ADDR);
    return await reply;
  } finally {
    c.close();
  }
}

t.test("the sender's address reaches access control: refused, dropped and allowed clients", async (t) => {
  const asked: string[] = [];
  const access = [
    { from: '127.0.13.8/32', action: 'drop' as const },
    { from: '127.0.13.9/32', action: 'refuse' as const },
  ];
  const rateLimit = { responsesPerSecond: 200, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 };
  const policy = new ClientPolicy({ access, rateLimit, listen: [], listenWatched: [] }, {}, quietLogger());
  const { port } = await udpListener(t, (q) => (asked.push(q.question.name), answer(q.bytes, ['10.0.0.1'])), quietLogger(), policy);
  const refused = decode(await exchangeFrom('127.0.13.9', port, query('refused.example', 'A', { id: 9 })));
  t.match(refused, { id: 9, rcode: 'REFUSED', answers: [] });
  const d = dgram.createSocket('udp4');
  t.teardown(() => d.close());
  await new Promise<void>((resolve) => d.bind(0, '127.0.13.8', resolve));
  d.send(query('dropped.example'), port, ADDR);
  // Datagrams are read in order: once a later one is answered, the dropped one has been handled.
  const allowed = decode(await exchangeFrom('127.0.13.10', port, query('ok.example', 'A', { id: 10 })));
  t.match(allowed, { id: 10, rcode: 'NOERROR' });
  t.same(asked, ['ok.example'], 'only the allowed query reached the pipeline');
  t.same(policy.stats(), { refused: 1, dropped: 1, rateLimitedTruncated: 0, rateLimitedDropped: 0, fromOurselves: 0 });
});
