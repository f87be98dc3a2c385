// TcpListener with a Responder on a real socket: a client that never reads is not read from
// (bounded work and memory), the idle timeout waits for outstanding queries (RFC 7766 §6.2.3),
// and new options (a reload) reach open connections.
import net from 'node:net';
import t, { type Test } from 'tap';
import { parseEndpoint } from '../../src/address.js';
import type { Handler } from '../../src/pipeline/handler.js';
import { Responder } from '../../src/server/responder.js';
import { TcpListener } from '../../src/server/tcp.js';
import { frame } from '../../src/wire/framing.js';
import { readId } from '../../src/wire/header.js';
import { quietLogger } from '../helpers/logger.js';
import { pipelineOf } from '../helpers/pipeline.js';
import { answer, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { TcpClient } from '../helpers/tcp-client.js';

const ADDR = '127.0.14.1';

/** Generous slack for what the configured timeouts (at most 300 ms here) bound. */
const SLACK_MS = 10_000;

async function listener(t: Test, handler: Handler, idleTimeoutMs = 10_000) {
  const responder = new Responder(pipelineOf(handler), { deadlineMs: 4000, udpMaxSize: 4096 }, quietLogger());
  const port = await freePort(ADDR);
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  const l = new TcpListener(ep.value, responder, { idleTimeoutMs, maxConnections: 10 }, quietLogger());
  await l.listen();
  t.teardown(() => l.close());
  return { l, port };
}

/** The server's side of the connections the listener has open. */
function serverSockets(l: TcpListener): net.Socket[] {
  const connections = (l as unknown as { connections: Set<{ socket: net.Socket }> }).connections;
  return [...connections].map((c) => c.socket);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms for up to SLACK_MS. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + SLACK_MS;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not ${what} within ${SLACK_MS} ms`);
    await sleep(10);
  }
}
const addresses = Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`);

t.test('a client that sends without reading: the server stops reading, work stays bounded', async (t) => {
  let calls = 0;
  // ~16 KB answers: the kernel's socket buffers fill after a few hundred.
  const template = answer(query('big.example'), addresses);
  const { l, port } = await listener(t, (q) => (calls++, q.question.name === 'big.example' ? Buffer.from(template) : answer(q.bytes, [])));
  const socket = net.connect({ host: ADDR, port });
  t.teardown(() => socket.destroy());
  await new Promise((r) => socket.once('connect', r));
  socket.pause(); // never read
  const q = frame(query('big.example'));
  const sent = 3000;
  socket.write(Buffer.concat(Array.from({ length: sent }, () => q)));
  const [server] = serverSockets(l);
  await until('paused', () => server!.isPaused());
  const atPause = calls;
  t.ok(atPause < sent / 4, `${atPause} of ${sent} queries answered when the server stopped reading`);
  // Another client's round trip goes through the same event loop: the paused one is not read meanwhile.
  const other = await TcpClient.connect(ADDR, port);
  t.teardown(() => other.destroy());
  other.send(query('other.example', 'A', { id: 8 }));
  t.equal(readId((await other.waitReplies(1, SLACK_MS))[0]!), 8, 'another client is answered');
  t.equal(calls, atPause + 1, 'and the silent client got no more work done meanwhile');
  t.ok(process.memoryUsage().rss < 400 * 1024 * 1024, 'memory stays bounded');
  socket.resume(); // reading again: the rest is answered
  let received = 0;
  socket.on('data', (c: Buffer) => (received += c.length));
  await until('every query answered', () => calls === sent + 1);
  t.equal(calls, sent + 1, 'every query answered once the client reads');
  t.ok(received > 0);
});

t.test('the idle timeout does not close a connection with a query outstanding', async (t) => {
  let release = () => {};
  const slow: Handler = (q) => new Promise((r) => (release = () => r(answer(q.bytes, ['10.0.0.1']))));
  const { l, port } = await listener(t, slow, 300);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  c.send(query('slow.example', 'A', { id: 31 }));
  await until('connected', () => serverSockets(l).length === 1);
  const [server] = serverSockets(l);
  await new Promise((r) => server!.once('timeout', r)); // an idle period passes with the query outstanding
  release();
  t.equal(readId((await c.waitReplies(1, SLACK_MS))[0]!), 31, 'answered after the idle period');
  t.ok(await c.closedWithin(SLACK_MS), 'then closed once idle');
});

// The 30 s idle timeout it starts with would outlast SLACK_MS: only the new 200 ms one can close it.
t.test('setOptions: a new idle timeout reaches connections already open', async (t) => {
  const { l, port } = await listener(t, (q) => answer(q.bytes, ['10.0.0.1']), 30_000);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  await until('connected', () => serverSockets(l).length === 1);
  l.setOptions({ idleTimeoutMs: 200, maxConnections: 10 });
  t.ok(await c.closedWithin(SLACK_MS), 'closed by the new idle timeout, not after 30 s');
});

t.test('an answer too big for a TCP message becomes SERVFAIL', async (t) => {
  const huge: Handler = (q) => Buffer.concat([answer(q.bytes, []), Buffer.alloc(70_000)]);
  const { port } = await listener(t, huge);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  c.send(query('huge.example', 'A', { id: 5 }));
  const r = (await c.waitReplies(1))[0]!;
  t.equal(readId(r), 5);
  t.equal(r[3]! & 0x0f, 2, 'SERVFAIL');
});
