// TcpListener with a Responder on a real socket: a client that never reads is not read from
// (bounded work and memory), the idle timeout waits for outstanding queries (RFC 7766 §6.2.3),
// and new options (a reload) reach open connections.
import net from 'node:net';
import t, { type Test } from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { silentLogger } from '../../src/log.js';
import type { Handler } from '../../src/pipeline/handler.js';
import { frame } from '../../src/server/framing.js';
import { Responder } from '../../src/server/responder.js';
import { TcpListener } from '../../src/server/tcp.js';
import { readId } from '../../src/wire/header.js';
import { answer, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { TcpClient } from '../helpers/tcp-client.js';

const ADDR = '127.0.14.1';

async function listener(t: Test, handler: Handler, idleTimeoutMs = 10_000) {
  const responder = new Responder(handler, { deadlineMs: 4000, udpMaxSize: 4096 }, silentLogger());
  const port = await freePort(ADDR);
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  const l = new TcpListener(ep.value, responder, { idleTimeoutMs, maxConnections: 10 }, silentLogger());
  await l.listen();
  t.teardown(() => l.close());
  return { l, port };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const addresses = Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`);

t.test('a client that sends without reading: the server stops reading, work stays bounded', async (t) => {
  let calls = 0;
  // ~16 KB answers: the kernel's socket buffers fill after a few hundred.
  const template = answer(query('big.example'), addresses);
  const { port } = await listener(t, () => (calls++, Buffer.from(template)));
  const socket = net.connect({ host: ADDR, port });
  t.teardown(() => socket.destroy());
  await new Promise((r) => socket.once('connect', r));
  socket.pause(); // never read
  const q = frame(query('big.example'));
  const sent = 3000;
  socket.write(Buffer.concat(Array.from({ length: sent }, () => q)));
  await sleep(1000);
  const after1s = calls;
  await sleep(500);
  t.ok(after1s < sent / 4, `${after1s} of ${sent} queries answered while the client reads nothing`);
  t.equal(calls, after1s, 'and no more while it still reads nothing');
  t.ok(process.memoryUsage().rss < 400 * 1024 * 1024, 'memory stays bounded');
  socket.resume(); // reading again: the rest is answered
  let received = 0;
  socket.on('data', (c: Buffer) => (received += c.length));
  const end = Date.now() + 20_000;
  while (calls < sent && Date.now() < end) await sleep(50);
  t.equal(calls, sent, 'every query answered once the client reads');
  t.ok(received > 0);
});

t.test('the idle timeout does not close a connection with a query outstanding', async (t) => {
  const slow: Handler = (q) => new Promise((r) => setTimeout(r, 900, answer(q.bytes, ['10.0.0.1'])));
  const { port } = await listener(t, slow, 300);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  c.send(query('slow.example', 'A', { id: 31 }));
  t.equal(readId((await c.waitReplies(1, 3000))[0]!), 31, 'answered after three idle periods');
  t.ok(await c.closedWithin(2000), 'then closed once idle');
});

t.test('setOptions: a new idle timeout reaches connections already open', async (t) => {
  const { l, port } = await listener(t, (q) => answer(q.bytes, ['10.0.0.1']), 30_000);
  const c = await TcpClient.connect(ADDR, port);
  t.teardown(() => c.destroy());
  l.setOptions({ idleTimeoutMs: 200, maxConnections: 10 });
  const started = Date.now();
  t.ok(await c.closedWithin(2000), 'closed');
  t.ok(Date.now() - started < 1500, `after ${Date.now() - started} ms, not 30 s`);
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
