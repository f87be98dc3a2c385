// The upstream UDP socket pool: random source ports, timeouts, ICMP refusals, ID collisions, close.
import dgram from 'node:dgram';
import t from 'tap';
import { parseEndpoint, type Endpoint } from '../../src/address.js';
import { UdpPool } from '../../src/upstream/transport/udp-pool.js';
import { readId } from '../../src/wire/header.js';
import { sameQuestion } from '../../src/wire/question.js';
import { answer, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';

const ADDR = '127.0.12.1';

async function server(reply: (msg: Buffer, rinfo: dgram.RemoteInfo, sock: dgram.Socket) => void) {
  const port = await freePort(ADDR);
  const sock = dgram.createSocket('udp4');
  const ports = new Set<number>();
  sock.on('message', (msg, rinfo) => {
    ports.add(rinfo.port);
    reply(msg, rinfo, sock);
  });
  await new Promise<void>((r) => sock.bind(port, ADDR, r));
  const ep = parseEndpoint(`${ADDR}:${port}`);
  if (!ep.ok) throw new Error(ep.reason);
  return { endpoint: ep.value, ports, close: () => sock.close() };
}

const exchange = (pool: UdpPool, server: Endpoint, name: string, id: number, timeoutMs = 1000) => {
  const q = query(name, 'A', { id });
  return pool.exchange({ server, query: q, questionEnd: q.length, timeoutMs });
};

t.test('answers come back to the right query; sockets are replaced after their share of queries', async (t) => {
  const s = await server((msg, rinfo, sock) => sock.send(answer(msg, ['10.0.0.1']), rinfo.port, rinfo.address));
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 2, queriesPerSocket: 5 });
  t.teardown(() => pool.close());
  const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => exchange(pool, s.endpoint, `n${i}.example`, 7)));
  t.equal(replies.length, 40, 'all answered, although every query asked for ID 7');
  t.ok(s.ports.size >= 8, `the server saw ${s.ports.size} source ports for 40 queries`);
});

t.test('a reply with the wrong question is ignored; the right one is taken', async (t) => {
  const s = await server((msg, rinfo, sock) => {
    const wrong = answer(query('other.example', 'A', { id: readId(msg) }), ['10.6.6.6']);
    sock.send(wrong, rinfo.port, rinfo.address);
    setTimeout(() => sock.send(answer(msg, ['10.0.0.2']), rinfo.port, rinfo.address), 20);
  });
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 100 });
  t.teardown(() => pool.close());
  const r = await exchange(pool, s.endpoint, 'right.example', 1);
  t.equal(r.subarray(-4).join('.'), '10.0.0.2');
});

t.test('timeout, and ICMP port unreachable as an immediate failure', async (t) => {
  const s = await server(() => {});
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 100 });
  t.teardown(() => pool.close());
  await t.rejects(exchange(pool, s.endpoint, 'silent.example', 1, 200), { code: 'UPSTREAM_TIMEOUT' });
  const deadPort = await freePort(ADDR);
  const dead = parseEndpoint(`${ADDR}:${deadPort}`);
  if (!dead.ok) throw new Error();
  // The 3 s timeout would reject with UPSTREAM_TIMEOUT: the ICMP refusal comes first.
  await t.rejects(exchange(pool, dead.value, 'dead.example', 2, 3000), { code: 'UPSTREAM_REFUSED' }, 'refused without waiting for the timeout');
});

t.test('a reply whose ID was rewritten on collision still matches', async (t) => {
  const s = await server((msg, rinfo, sock) => setTimeout(() => sock.send(answer(msg, ['10.0.0.3']), rinfo.port, rinfo.address), 30));
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 100 });
  t.teardown(() => pool.close());
  const q1 = exchange(pool, s.endpoint, 'a.example', 99);
  const q2 = query('b.example', 'A', { id: 99 });
  const p2 = pool.exchange({ server: s.endpoint, query: q2, questionEnd: q2.length, timeoutMs: 1000 });
  const [, r2] = await Promise.all([q1, p2]);
  t.not(readId(q2), 99, 'the second query was sent with another ID');
  t.equal(readId(r2), readId(q2));
});

t.test('close() after queries to several servers (slots filled with holes) is clean and idempotent', async (t) => {
  const a = await server((msg, rinfo, sock) => sock.send(answer(msg, ['10.0.0.4']), rinfo.port, rinfo.address));
  const b = await server((msg, rinfo, sock) => sock.send(answer(msg, ['10.0.0.5']), rinfo.port, rinfo.address));
  t.teardown(() => (a.close(), b.close()));
  const pool = new UdpPool({ socketsPerServer: 4, queriesPerSocket: 100 });
  // Alternating servers: each server's socket array gets every other slot.
  for (let i = 0; i < 4; i++) await exchange(pool, i % 2 ? b.endpoint : a.endpoint, `h${i}.example`, i);
  t.doesNotThrow(() => pool.close());
  t.doesNotThrow(() => pool.close(), 'a second close is harmless');
});

// Guards `w &&` in onMessage: a datagram with an ID nobody waits for (a late duplicate) is ignored.
t.test('a reply with an ID nobody waits for is ignored', async (t) => {
  const s = await server((msg, rinfo, sock) => {
    const stray = answer(msg, ['10.6.6.6']);
    stray.writeUInt16BE(readId(msg) ^ 0x8000, 0);
    sock.send(stray, rinfo.port, rinfo.address, () => sock.send(answer(msg, ['10.0.0.7']), rinfo.port, rinfo.address));
  });
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 100 });
  t.teardown(() => pool.close());
  const r = await exchange(pool, s.endpoint, 'late.example', 5);
  t.equal(r.subarray(-4).join('.'), '10.0.0.7');
});

// Guards `uses >= queriesPerSocket`: a socket carries at most its share of queries.
t.test('with one query per socket, each query gets a new source port', async (t) => {
  const s = await server((msg, rinfo, sock) => sock.send(answer(msg, ['10.0.0.8']), rinfo.port, rinfo.address));
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 1 });
  t.teardown(() => pool.close());
  for (let i = 0; i < 3; i++) await exchange(pool, s.endpoint, `p${i}.example`, i);
  t.equal(s.ports.size, 3, 'three queries, three source ports');
});

// Guards the connect callback's error check, the unreachable codes, the `failed` flag and the
// guarded close: a socket whose connect fails fails its queries at once and is replaced.
t.test('a failed connect fails the queries waiting on it, and the next query gets a new socket', async (t) => {
  const s = await server((msg, rinfo, sock) => sock.send(answer(msg, ['10.0.0.9']), rinfo.port, rinfo.address));
  t.teardown(s.close);
  for (const code of ['EHOSTUNREACH', 'ENETUNREACH']) {
    const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 100 });
    t.teardown(() => pool.close());
    const failing = t.capture(dgram.Socket.prototype, 'connect', function (this: dgram.Socket, ...args: unknown[]) {
      const callback = args[args.length - 1] as (err?: Error) => void;
      process.nextTick(() => callback(Object.assign(new Error(`connect ${code}`), { code })));
    });
    await t.rejects(exchange(pool, s.endpoint, 'unreachable.example', 1, 10_000), { code: 'UPSTREAM_REFUSED' }, `${code}: refused at once`);
    failing.restore();
    const r = await exchange(pool, s.endpoint, 'reachable.example', 2);
    t.equal(r.subarray(-4).join('.'), '10.0.0.9', `after ${code}: a new socket answers`);
  }
});

// Guards retire()'s close of an idle socket: close() lets go of every socket at once when nothing waits.
t.test('close() closes idle sockets at once', async (t) => {
  const s = await server((msg, rinfo, sock) => sock.send(answer(msg, ['10.0.0.4']), rinfo.port, rinfo.address));
  t.teardown(s.close);
  const closes = t.capture(dgram.Socket.prototype, 'close', dgram.Socket.prototype.close);
  const pool = new UdpPool({ socketsPerServer: 2, queriesPerSocket: 100 });
  for (let i = 0; i < 2; i++) await exchange(pool, s.endpoint, `c${i}.example`, i);
  t.equal(closes().length, 0, 'open while in use');
  pool.close();
  t.equal(closes().length, 2, 'both sockets closed');
});

// Guards the address family choice: an IPv6 server gets a udp6 socket.
t.test('an IPv6 server gets an IPv6 socket', async (t) => {
  const created = t.capture(dgram, 'createSocket', () => {
    throw new Error('no socket in this test');
  });
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 100 });
  const v6 = parseEndpoint('[fd00::53]:53');
  if (!v6.ok) throw new Error(v6.reason);
  t.throws(() => exchange(pool, v6.value, 'v6.example', 1), { message: 'no socket in this test' });
  t.same(created().map((c) => (c.args[0] as dgram.SocketOptions).type), ['udp6']);
});

// Guards `retired &&` in forget(): a socket in service stays open once its queries are answered.
t.test('a socket in service stays open between queries', async (t) => {
  const s = await server((msg, rinfo, sock) => sock.send(answer(msg, ['10.0.0.6']), rinfo.port, rinfo.address));
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 100 });
  t.teardown(() => pool.close());
  for (let i = 0; i < 3; i++) {
    const r = await exchange(pool, s.endpoint, `k${i}.example`, i);
    t.equal(r.subarray(-4).join('.'), '10.0.0.6', `query ${i + 1} answered`);
  }
  t.equal(s.ports.size, 1, 'all from one source port');
});

/** `n` datagrams with IDs other than `msg`'s, sent before `then` runs. */
function junk(sock: dgram.Socket, rinfo: dgram.RemoteInfo, msg: Buffer, n: number, then: () => void = () => {}): void {
  if (n === 0) return then();
  const stray = answer(msg, ['10.6.6.6']);
  stray.writeUInt16BE(readId(msg) ^ (0x100 + n), 0);
  sock.send(stray, rinfo.port, rinfo.address, () => junk(sock, rinfo, msg, n - 1, then));
}

// Guards the count in onMessage and its `<`: unwanted datagrams up to the threshold are tolerated,
// the threshold's own fails the queries on that socket with UPSTREAM_UNWANTED (for TCP) at once.
t.test('unwanted replies: below the threshold the answer is taken; at it the query fails with UPSTREAM_UNWANTED', async (t) => {
  let strays = 2;
  const s = await server((msg, rinfo, sock) => junk(sock, rinfo, msg, strays, () => strays < 3 && sock.send(answer(msg, ['10.0.0.10']), rinfo.port, rinfo.address)));
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 1, unwantedThreshold: 3 });
  t.teardown(() => pool.close());
  const r = await exchange(pool, s.endpoint, 'below.example', 1);
  t.equal(r.subarray(-4).join('.'), '10.0.0.10', 'two unwanted, then the answer');
  strays = 3;
  // The 10 s timeout would reject with UPSTREAM_TIMEOUT: the third unwanted datagram comes first.
  await t.rejects(exchange(pool, s.endpoint, 'flooded.example', 2, 10_000), { code: 'UPSTREAM_UNWANTED' });
});

// Guards `failed = true` on the flood: a socket given up is not used again, whatever its share.
t.test('a socket given up on a flood is replaced: the next query leaves from another port', async (t) => {
  let flood = true;
  const s = await server((msg, rinfo, sock) => (flood ? junk(sock, rinfo, msg, 2) : sock.send(answer(msg, ['10.0.0.11']), rinfo.port, rinfo.address)));
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 100, unwantedThreshold: 2 });
  t.teardown(() => pool.close());
  await t.rejects(exchange(pool, s.endpoint, 'flooded.example', 1, 10_000), { code: 'UPSTREAM_UNWANTED' });
  flood = false;
  await exchange(pool, s.endpoint, 'next.example', 2);
  t.equal(s.ports.size, 2, 'two queries, two source ports, although a socket may carry 100');
});

// Guards the isCaseMismatch branch: our ID and question in another letter case ends an exchange
// asked in mixed case at once (for the caller's TCP retry); asked as the client spelt it, the case
// is not compared and the reply is the answer.
t.test('a reply in another letter case ends a mixed-case exchange with UPSTREAM_CASE', async (t) => {
  const s = await server((msg, rinfo, sock) => {
    const r = answer(msg, ['10.6.6.6']);
    r[13] ^= 0x20;
    sock.send(r, rinfo.port, rinfo.address);
  });
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 1, queriesPerSocket: 1, unwantedThreshold: 1000 });
  t.teardown(() => pool.close());
  const q = query('case.example', 'A', { id: 3 });
  await t.rejects(pool.exchange({ server: s.endpoint, query: q, questionEnd: q.length, mixedCase: true, timeoutMs: 10_000 }), { code: 'UPSTREAM_CASE' });
  const q2 = query('case.example', 'A', { id: 4 });
  const r = await pool.exchange({ server: s.endpoint, query: q2, questionEnd: q2.length, timeoutMs: 10_000 });
  t.equal(r.subarray(-4).join('.'), '10.6.6.6', 'not in mixed case: the reply in another case is the answer');
});

// Guards the pool's one DeadlineSweep: each query times out on its own timeout, not in the order sent.
t.test('queries waiting on a silent server time out each on its own timeout', async (t) => {
  const s = await server(() => {});
  t.teardown(s.close);
  const pool = new UdpPool({ socketsPerServer: 2, queriesPerSocket: 2 });
  t.teardown(() => pool.close());
  const order: string[] = [];
  const wait = (name: string, ms: number) =>
    exchange(pool, s.endpoint, name, 1, ms).then(
      () => order.push(`${name} answered`),
      (err: { code?: string }) => order.push(`${name} ${err.code}`),
    );
  await Promise.all([wait('slow.example', 400), wait('quick.example', 50), wait('middle.example', 200)]);
  t.same(order, ['quick.example UPSTREAM_TIMEOUT', 'middle.example UPSTREAM_TIMEOUT', 'slow.example UPSTREAM_TIMEOUT']);
});
