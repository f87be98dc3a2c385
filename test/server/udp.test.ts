// UdpListener on a real socket: answers datagrams, and a datagram it cannot answer (source port 0,
// which dgram refuses to send to) is dropped without taking the listener down.
import dgram from 'node:dgram';
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { Responder } from '../../src/server/responder.js';
import { UdpListener } from '../../src/server/udp.js';
import { quietLogger } from '../helpers/logger.js';
import { pipelineOf } from '../helpers/pipeline.js';
import { answer, decode, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';

const ADDR = '127.0.13.1';

async function exchange(port: number, msg: Buffer): Promise<Buffer> {
  const c = dgram.createSocket('udp4');
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), 2000);
      c.once('message', (m) => (clearTimeout(timer), resolve(m)));
      c.send(msg, port, ADDR);
    });
  } finally {
    c.close();
  }
}

t.test('a datagram from port 0 is dropped before any work, synchronously or not; the listener keeps answering', async (t) => {
  for (const mode of ['at once', 'later'] as const) {
    const asked: string[] = [];
    const handler = (q: { bytes: Buffer; question: { name: string } }) => {
      asked.push(q.question.name);
      return mode === 'at once' ? answer(q.bytes, ['10.0.0.1']) : Promise.resolve(answer(q.bytes, ['10.0.0.1']));
    };
      const responder = new Responder(pipelineOf(handler), { deadlineMs: 500, udpMaxSize: 4096 }, quietLogger());
    const port = await freePort(ADDR);
    const ep = parseEndpoint(`${ADDR}:${port}`);
    if (!ep.ok) throw new Error(ep.reason);
    const listener = new UdpListener(ep.value, responder, quietLogger());
    t.teardown(() => listener.close());
    await listener.listen();
    // What the kernel hands over for a crafted datagram with source port 0.
    const socket = (listener as unknown as { socket: dgram.Socket }).socket;
    socket.emit('message', query('zero.example'), { address: '127.0.13.9', family: 'IPv4', port: 0, size: 30 });
    const reply = decode(await exchange(port, query('after.example', 'A', { id: 77 })));
    t.equal(reply.id, 77, `${mode}: still answering`);
    t.same(asked, ['after.example'], `${mode}: the port-0 datagram never reached the pipeline`);
  }
});
