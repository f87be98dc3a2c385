// The local addresses of our own upstream sockets, UDP and TCP, recorded while they are open: a
// query from one of them is dnsfwd's own, come back.
import dgram from 'node:dgram';
import net from 'node:net';
import t from 'tap';
import { parseEndpoint } from '../../src/address.js';
import { OwnSockets } from '../../src/upstream/own-sockets.js';
import { tcpExchange } from '../../src/upstream/transport/tcp.js';
import { UdpPool } from '../../src/upstream/transport/udp-pool.js';
import { frame, FrameReader } from '../../src/wire/framing.js';
import { readId } from '../../src/wire/header.js';
import { answer, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

const ADDR = '127.0.12.7';

t.test('add, remove, has: by local address and port, IPv4-mapped as IPv4, counted', async (t) => {
  const own = new OwnSockets();
  t.notOk(own.has('127.0.0.1', 4000));
  own.add('127.0.0.1', 4000);
  own.add('::ffff:127.0.0.1', 4000);
  t.ok(own.has('127.0.0.1', 4000));
  t.ok(own.has('::ffff:127.0.0.1', 4000), 'the IPv4-mapped spelling');
  t.notOk(own.has('127.0.0.2', 4000), 'another address, same port: a client');
  t.notOk(own.has('127.0.0.1', 4001), 'another port');
  own.remove('127.0.0.1', 4000);
  t.ok(own.has('127.0.0.1', 4000), 'two sockets had it: one left');
  own.remove('127.0.0.1', 4000);
  t.notOk(own.has('127.0.0.1', 4000));
  t.equal(own.ports, 0, 'no port left');
  own.remove('127.0.0.1', 4000);
  t.notOk(own.has('127.0.0.1', 4000), 'removing twice is harmless');
  own.add('127.0.0.1', 4000);
  own.add('127.0.0.2', 4000);
  own.remove('127.0.0.1', 4000);
  t.ok(own.has('127.0.0.2', 4000), 'another address on the same port stays');
  t.equal(own.ports, 1);
});

t.test('the UDP pool records each socket while it is open', async (t) => {
  const port = await freePort(ADDR);
  const seen: dgram.RemoteInfo[] = [];
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    seen.push(rinfo);
    sock.send(answer(msg, ['10.0.0.1']), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(port, ADDR, r));
  t.teardown(() => sock.close());
  const own = new OwnSockets();
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 100, own });
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  const q = query('a.example', 'A', { id: 1 });
  await pool.exchange({ server: ep.value, query: q, questionEnd: q.length, timeoutMs: 2000 });
  const from = seen[0]!;
  t.ok(own.has(from.address, from.port), `the query came from ${from.address}:${from.port}, one of ours`);
  pool.close();
  await until('the socket closed', () => !own.has(from.address, from.port));
  t.equal(own.ports, 0, 'forgotten once closed: no port of ours left');
});

t.test('a TCP exchange records its connection until it ends', async (t) => {
  const port = await freePort(ADDR);
  const own = new OwnSockets();
  let peer: { address: string; port: number } | null = null;
  let ownWhileOpen = false;
  const server = net.createServer((c) => {
    peer = { address: c.remoteAddress!, port: c.remotePort! };
    const reader = new FrameReader();
    c.on('data', (chunk) => {
      for (const msg of reader.push(chunk)) {
        ownWhileOpen = own.has(peer!.address, peer!.port);
        c.write(frame(answer(msg, ['10.0.0.1'])));
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, ADDR, r));
  t.teardown(() => server.close());
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  const q = query('a.example', 'A', { id: 2 });
  await tcpExchange({ server: ep.value, query: q, questionEnd: q.length, timeoutMs: 2000 }, own);
  t.ok(ownWhileOpen, 'the connection was ours while it asked');
  t.notOk(own.has(peer!.address, peer!.port), 'forgotten once it ended');
});
