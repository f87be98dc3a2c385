// Listeners on real sockets: apply() keeps what is still listed, opens what is new and closes what
// is gone, all or nothing; ::1 without IPv6 is skipped only when other addresses remain; new limits
// reach the listeners it keeps.
import dgram from 'node:dgram';
import net from 'node:net';
import t, { type Test } from 'tap';
import { type Endpoint, parseEndpoint } from '../../src/address.js';
import { defaultConfig } from '../../src/config/schema.js';
import type { Config } from '../../src/config/types.js';
import { isDnsfwdError } from '../../src/errors.js';
import { bindError } from '../../src/server/bind.js';
import type { ServerConfig } from '../../src/server/config.js';
import { Listeners } from '../../src/server/listeners.js';
import { UdpListener } from '../../src/server/udp.js';
import { captureLog } from '../helpers/logger.js';
import { pipelineOf } from '../helpers/pipeline.js';
import { udpExchange } from '../helpers/udp-client.js';
import { answer, decode, query } from '../helpers/packets.js';
import { freePort } from '../helpers/ports.js';
import { TcpClient } from '../helpers/tcp-client.js';
import { defaultPolicy } from '../helpers/clients.js';

const SLACK_MS = 10_000;

async function endpoint(addr: string): Promise<Endpoint> {
  const r = parseEndpoint(addr.includes(':') ? addr : `${addr}:${await freePort(addr)}`);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

function config(listen: Endpoint[], server: Partial<ServerConfig> = {}): Config {
  const d = defaultConfig();
  return { ...d, listen, server: { ...d.server, ...server } };
}

/** Listeners answering every query with 60 addresses (about 1 KB); closed at the end of the test. */
function listeners(t: Test) {
  const log = captureLog();
  const l = new Listeners(pipelineOf((q) => answer(q.bytes, Array.from({ length: 60 }, (_, i) => `10.0.0.${i}`))), config([]), log.logger, defaultPolicy());
  t.teardown(() => l.close());
  return { l, log };
}

/** True when both the UDP and the TCP port of `ep` can be bound (nothing listens there). */
async function free(ep: Endpoint): Promise<boolean> {
  const udp = await new Promise<boolean>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(ep.port, ep.host, () => s.close(() => resolve(true)));
  });
  const tcp = await new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(ep.port, ep.host, () => s.close(() => resolve(true)));
  });
  return udp && tcp;
}

const show = (eps: Endpoint[]) => eps.map((e) => `${e.host}:${e.port}`);
const pairsOf = (l: Listeners) => (l as unknown as { pairs: unknown[] }).pairs;

/** Binding the UDP socket of these hosts fails with these errnos (the stand-in for a host without them). */
function failBind(t: Test, errnos: Record<string, string>): void {
  const proto = UdpListener.prototype as unknown as { listen?: (this: UdpListener) => Promise<void> };
  const inherited = proto.listen!;
  proto.listen = function (this: UdpListener) {
    const errno = errnos[this.endpoint.host];
    if (errno === undefined) return inherited.call(this);
    return Promise.reject(bindError(Object.assign(new Error(errno), { code: errno }), this.endpoint, 'UDP'));
  };
  t.teardown(() => void delete proto.listen);
}

/** The rejection of `p`, which must reject. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

// Keeping a socket open where it is still wanted is what lets a reload not fail with EADDRINUSE.
t.test('apply keeps the sockets of addresses still listed, opens new ones, closes the others', async (t) => {
  const { l } = listeners(t);
  const a = await endpoint('127.0.41.2');
  const b = await endpoint('127.0.41.3');
  await l.apply(config([a]));
  const [kept] = pairsOf(l);
  await l.apply(config([a, b]));
  t.same(show(l.endpoints()), show([a, b]));
  t.equal(pairsOf(l)[0], kept, "a's sockets are the same ones");
  t.equal(decode(await udpExchange(b.host, b.port, query('b.example', 'A', { id: 2 }))).id, 2, 'b answers');
  await l.apply(config([b]));
  t.same(show(l.endpoints()), show([b]));
  t.ok(await free(a), "a's sockets are closed");
  t.equal(decode(await udpExchange(b.host, b.port, query('b.example', 'A', { id: 3 }))).id, 3, 'b still answers');
});

// All or nothing: what the failed apply opened is closed again, the previous set stays.
t.test('a bind error rejects, leaves the listeners as they were and closes what it opened', async (t) => {
  const { l } = listeners(t);
  const a = await endpoint('127.0.41.2');
  const b = await endpoint('127.0.41.3');
  const c = await endpoint('127.0.41.4');
  const blocker = net.createServer(); // c's TCP port is taken: its UDP socket binds, its TCP one fails
  await new Promise<void>((resolve) => blocker.listen(c.port, c.host, resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  await l.apply(config([a]));
  const err = await rejection(l.apply(config([a, b, c])));
  t.ok(isDnsfwdError(err, 'BIND_IN_USE'), 'the bind error of c');
  t.same(show(l.endpoints()), show([a]), 'the previous set');
  t.ok(await free(b), 'b, opened before c failed, is closed again');
  const udpOfC = await new Promise<boolean>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(c.port, c.host, () => s.close(() => resolve(true)));
  });
  t.ok(udpOfC, "c's UDP socket, bound before its TCP one failed, is closed");
  t.equal(decode(await udpExchange(a.host, a.port, query('a.example', 'A', { id: 4 }))).id, 4, 'a still answers');
});

// The default listens on 127.0.0.1 and ::1: a host without IPv6 still gets its IPv4 listener.
t.test('::1 unavailable is skipped with a warning when other addresses remain, an error alone', async (t) => {
  failBind(t, { '::1': 'EADDRNOTAVAIL' });
  const { l, log } = listeners(t);
  const a = await endpoint('127.0.41.2');
  const v6 = await endpoint(`[::1]:${a.port}`);
  await l.apply(config([a, v6]));
  t.same(show(l.endpoints()), show([a]), 'listening on the IPv4 address only');
  t.match(log.warnings(), [{ listen: `[::1]:${a.port}`, msg: 'no IPv6 on this host: not listening on ::1' }]);
  await l.close();
  const alone = await rejection(l.apply(config([v6])));
  t.ok(isDnsfwdError(alone, 'BIND_UNAVAILABLE'), '::1 alone: nothing to listen on is an error');
});

// Only an unavailable ::1 is skipped: other failures of ::1 and an unavailable IPv4 address are errors.
t.test('::1 in use, or another address unavailable, is an error', async (t) => {
  failBind(t, { '::1': 'EADDRINUSE', '127.0.41.9': 'EADDRNOTAVAIL' });
  const { l } = listeners(t);
  const a = await endpoint('127.0.41.2');
  const inUse = await rejection(l.apply(config([a, await endpoint(`[::1]:${a.port}`)])));
  t.ok(isDnsfwdError(inUse, 'BIND_IN_USE'), '::1 in use');
  const unavailable = await rejection(l.apply(config([a, await endpoint(`127.0.41.9:${a.port}`)])));
  t.ok(isDnsfwdError(unavailable, 'BIND_UNAVAILABLE'), 'an IPv4 address not on this host');
  t.same(l.endpoints(), [], 'nothing listens');
});

// A reload that keeps an address must still apply the new idle timeout and UDP size to it.
t.test('apply passes new limits to the listeners it keeps and to the responder', async (t) => {
  const { l } = listeners(t);
  const a = await endpoint('127.0.41.2');
  await l.apply(config([a], { udpMaxSize: 4096, tcpIdleTimeoutMs: 30_000 }));
  const edns = query('a.example', 'A', { edns: 4096 });
  t.notOk(decode(await udpExchange(a.host, a.port, edns)).flag_tc, 'about 1 KB fits in 4096 bytes');
  const c = await TcpClient.connect(a.host, a.port);
  t.teardown(() => c.destroy());
  c.send(query('a.example', 'A', { id: 6 }));
  await c.waitReplies(1);
  await l.apply(config([a], { udpMaxSize: 512, tcpIdleTimeoutMs: 200 }));
  t.ok(decode(await udpExchange(a.host, a.port, edns)).flag_tc, 'truncated to the new UDP size of 512');
  t.ok(await c.closedWithin(SLACK_MS), 'the open TCP connection is closed by the new idle timeout, not after 30 s');
});
