// One upstream query over TCP against a local TCP server: the matching answer, refusal, a server
// that hangs up, silence, and the connection closed once the query is settled.
import net from 'node:net';
import t from 'tap';
import { parseEndpoint, type Endpoint } from '../../src/address.js';
import { tcpExchange } from '../../src/upstream/transport/tcp.js';
import { FrameReader, frame } from '../../src/wire/framing.js';
import { readId } from '../../src/wire/header.js';
import { answer, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';

const ADDR = '127.0.21.1';

/** A TCP server on ADDR that hands each query to `onQuery`; `closed` resolves as a client connection closes. */
async function server(onQuery: (q: Buffer, socket: net.Socket) => void) {
  const port = await freePort(ADDR);
  const connectionsClosed: Promise<void>[] = [];
  const srv = net.createServer((socket) => {
    connectionsClosed.push(new Promise((resolve) => socket.on('close', () => resolve())));
    const reader = new FrameReader();
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => reader.push(chunk).forEach((q) => onQuery(q, socket)));
  });
  await new Promise<void>((resolve) => srv.listen(port, ADDR, resolve));
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  return { endpoint: ep.value, connectionsClosed, close: () => new Promise<void>((resolve) => srv.close(() => resolve())) };
}

/** `p`, or a rejection after `ms` (a generous bound: the event is expected much sooner). */
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    p.then((v) => (clearTimeout(timer), resolve(v)), reject);
  });

const exchange = (server: Endpoint, name: string, timeoutMs = 10_000) => {
  const q = query(name, 'A', { id: 0x5151 });
  return tcpExchange({ server, query: q, questionEnd: q.length, timeoutMs });
};

// Guards `if (isAnswer(ex, msg))`: a frame that is not the answer is skipped; the connection closes after.
t.test('the matching answer is taken, a stray frame before it skipped, and the connection closed', async (t) => {
  const s = await server((q, socket) => {
    const stray = answer(q, ['10.6.6.6']);
    stray.writeUInt16BE(0x1111, 0);
    socket.write(Buffer.concat([frame(stray), frame(answer(q, ['10.0.0.2']))]));
  });
  t.teardown(s.close);
  const r = await exchange(s.endpoint, 'right.example');
  t.equal(r.subarray(-4).join('.'), '10.0.0.2', 'the answer with our ID');
  await within(s.connectionsClosed[0]!, 5000, 'connection closed'); // guards the undo: the socket is destroyed once settled
  t.equal(s.connectionsClosed.length, 1, 'one connection, now closed');
});

// Guards the ECONNREFUSED mapping: nobody listening is UPSTREAM_REFUSED.
t.test('a refused connection is UPSTREAM_REFUSED', async (t) => {
  const port = await freePort(ADDR);
  const dead = parseEndpoint(`${ADDR}:${port}`);
  if (!dead.ok) throw new Error(dead.reason);
  await t.rejects(exchange(dead.value, 'dead.example'), { code: 'UPSTREAM_REFUSED' });
});

// Guards the 'close' handler: a server that hangs up without answering fails the query at once.
t.test('a server that closes the connection without answering is UPSTREAM_CLOSED', async (t) => {
  const s = await server((_, socket) => socket.end());
  t.teardown(s.close);
  await t.rejects(exchange(s.endpoint, 'hangup.example'), { code: 'UPSTREAM_CLOSED' });
});

t.test('a silent server is UPSTREAM_TIMEOUT', async (t) => {
  const s = await server(() => {});
  t.teardown(s.close);
  await t.rejects(exchange(s.endpoint, 'silent.example', 200), { code: 'UPSTREAM_TIMEOUT' });
  await within(s.connectionsClosed[0]!, 5000, 'connection closed');
  t.equal(s.connectionsClosed.length, 1, 'the connection is closed at the timeout');
});
