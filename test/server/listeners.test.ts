// Listeners on real sockets: apply() keeps what is still listed, opens what is new and closes what
// is gone, all or nothing; ::1 without IPv6 is skipped only when other addresses remain; new limits
// reach the listeners it keeps. Watched entries, with a fake interface reader whose addresses are
// real loopback ones: bound when the address appears, closed when it goes, a failed bind warned
// about once and retried, followed across reloads, handed over to a plain address.
import dgram from 'node:dgram';
import net from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import t, { type Test } from 'tap';
import { type Endpoint, parseEndpoint, type WatchedListen } from '../../src/address.js';
import { defaultConfig } from '../../src/config/schema.js';
import type { Config } from '../../src/config/types.js';
import { isDnsfwdError } from '../../src/errors.js';
import { bindError } from '../../src/server/bind.js';
import type { ServerConfig } from '../../src/server/config.js';
import { HostAddresses } from '../../src/server/host-addresses.js';
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

function config(listen: Endpoint[], server: Partial<ServerConfig> = {}, listenWatched: WatchedListen[] = []): Config {
  const d = defaultConfig();
  return { ...d, listen, listenWatched, server: { ...d.server, ...server } };
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

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

function v4(address: string): NetworkInterfaceInfo {
  return { address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: `${address}/24` };
}

/**
 * Listeners whose host addresses come from `host.now` (set by the test), read when the test calls
 * refresh() (or every `intervalMs`); they answer every query with one address.
 */
function watchedListeners(t: Test, intervalMs = 60_000) {
  const log = captureLog();
  const host = { now: {} as Interfaces };
  const hosts = new HostAddresses(log.logger, { read: () => host.now, intervalMs });
  const l = new Listeners(pipelineOf((q) => answer(q.bytes, ['10.9.9.9'])), config([]), log.logger, defaultPolicy(), hosts);
  t.teardown(() => l.close());
  return { l, log, host, hosts };
}

const iface = (name: string, port: number): WatchedListen => ({ kind: 'interface', name, port });
const optional = (e: Endpoint): WatchedListen => ({ kind: 'address', endpoint: e });
const answers = async (e: Endpoint, id: number) => decode(await udpExchange(e.host, e.port, query('w.example', 'A', { id }))).id === id;
const infos = (log: ReturnType<typeof captureLog>, msg: string) => log.lines.filter((l) => l.msg === msg);

// The bridge made after dnsfwd started (docker0, nomad): its address comes, goes, and comes back.
t.test('a watched interface: listened on while it has its address, UDP and TCP, closed when the address goes', async (t) => {
  const { l, log, host } = watchedListeners(t);
  const a = await endpoint('127.0.42.2');
  const b = await endpoint(`127.0.42.5:${a.port}`);
  await l.apply(config([a], {}, [iface('br-test', a.port)]));
  t.same(show(l.endpoints()), show([a]), 'no br-test yet: the plain address only');
  t.ok(await free(b), 'nothing on b');
  host.now = { 'br-test': [v4(b.host)], eth0: [v4('127.0.42.9')] };
  await l.refresh();
  t.same(show(l.endpoints()), show([a, b]), 'the endpoints include the watched one');
  t.ok(await answers(b, 11), 'b answers over UDP');
  const c = await TcpClient.connect(b.host, b.port);
  c.send(query('w.example', 'A', { id: 12 }));
  t.equal(decode((await c.waitReplies(1))[0]!).id, 12, 'and over TCP');
  c.destroy();
  t.match(infos(log, 'address appeared: listening'), [{ listen: `${b.host}:${b.port}`, interface: 'br-test', component: 'listener' }]);
  await l.refresh();
  t.equal(infos(log, 'address appeared: listening').length, 1, 'an unchanged read changes nothing');
  host.now = { eth0: [v4('127.0.42.9')] };
  await l.refresh();
  t.same(show(l.endpoints()), show([a]));
  t.ok(await free(b), "b's sockets are closed");
  t.match(infos(log, 'address gone: stopped listening'), [{ listen: `${b.host}:${b.port}`, interface: 'br-test' }]);
  t.ok(await answers(a, 13), 'a still answers');
  host.now = { 'br-test': [v4(b.host)] };
  await l.refresh();
  t.ok(await answers(b, 14), 'the address came back: b answers again');
  t.equal(infos(log, 'address appeared: listening').length, 2);
  t.same(log.warnings(), [], 'no warning on the way');
});

t.test('the timer finds a new address on its own', async (t) => {
  const { l, log, host } = watchedListeners(t, 10);
  const b = await endpoint('127.0.42.6');
  await l.apply(config([], {}, [iface('nomad', b.port)]));
  const since = log.lines.length;
  host.now = { nomad: [v4(b.host)] };
  await log.next((line) => line.msg === 'address appeared: listening', since);
  t.ok(await answers(b, 21));
});

t.test('an optional address: listened on while any interface has it', async (t) => {
  const { l, log, host } = watchedListeners(t);
  const b = await endpoint('127.0.42.7');
  await l.apply(config([], {}, [optional(b)]));
  t.same(l.endpoints(), []);
  host.now = { docker0: [v4('127.0.42.70'), v4(b.host)] };
  await l.refresh();
  t.same(show(l.endpoints()), show([b]), 'only the optional address, not the rest of the interface');
  t.ok(await answers(b, 31));
  t.match(infos(log, 'address appeared: listening'), [{ listen: `${b.host}:${b.port}`, interface: 'docker0' }]);
  host.now = {};
  await l.refresh();
  t.ok(await free(b));
});

// EADDRINUSE, EACCES after dropping root, EADDRNOTAVAIL while an IPv6 address is tentative: one
// warning each, saying what to do, and a bind attempt on every read until it works.
t.test('a watched bind that fails is warned about once per reason and retried on every read', async (t) => {
  const { l, log, host } = watchedListeners(t);
  const b = await endpoint('127.0.42.8');
  const blocker = net.createServer(); // b's TCP port is taken
  await new Promise<void>((resolve) => blocker.listen(b.port, b.host, resolve));
  await l.apply(config([], {}, [iface('docker0', b.port)]));
  host.now = { docker0: [v4(b.host)] };
  for (let i = 0; i < 3; i++) await l.refresh();
  t.match(log.warnings(), [
    {
      msg: 'address appeared but cannot be listened on: retrying every second',
      listen: `${b.host}:${b.port}`,
      interface: 'docker0',
      reason: /address already in use/,
      advice: /another program listens there/,
    },
  ]);
  t.equal(log.warnings().length, 1, 'three failed reads, one warning');
  t.same(l.endpoints(), []);
  const udpFree = await new Promise<boolean>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(b.port, b.host, () => s.close(() => resolve(true)));
  });
  t.ok(udpFree, 'the UDP socket bound before the TCP one failed is closed again');
  await new Promise<void>((resolve) => blocker.close(() => resolve()));
  await l.refresh();
  t.ok(await answers(b, 41), 'the port is free again: the next read binds it');
  t.equal(infos(log, 'address appeared: listening').length, 1);

  // After dropping root without CAP_NET_BIND_SERVICE: the warning says where late binds work.
  const c = await endpoint('127.0.42.9');
  failBind(t, { [c.host]: 'EACCES' });
  await l.apply(config([], {}, [iface('docker0', b.port), optional(c)]));
  host.now = { docker0: [v4(b.host)], br9: [v4(c.host)] };
  await l.refresh();
  await l.refresh();
  t.equal(log.warnings().length, 2);
  t.match(log.warnings()[1], {
    listen: `${c.host}:${c.port}`,
    reason: /permission denied/,
    advice: /CAP_NET_BIND_SERVICE.*dropped root \(user:\).*systemd unit and the OpenRC script keep CAP_NET_BIND_SERVICE as an ambient capability/,
  });
  failBind(t, { [c.host]: 'EADDRNOTAVAIL' });
  await l.refresh();
  await l.refresh();
  t.equal(log.warnings().length, 3, 'a new reason is warned about once more');
  t.match(log.warnings()[2], { reason: /address not available/, advice: /tentative/ });
  host.now = { docker0: [v4(b.host)] };
  await l.refresh();
  host.now = { docker0: [v4(b.host)], br9: [v4(c.host)] };
  await l.refresh();
  t.equal(log.warnings().length, 4, 'the address went and came back: its failure is news again');
  t.ok(await answers(b, 42), 'b was never disturbed');
});

t.test('a reload follows a changed list of watched entries, and the poll runs only while there is one', async (t) => {
  const { l, log, host, hosts } = watchedListeners(t);
  const a = await endpoint('127.0.42.2');
  const b = await endpoint(`127.0.42.10:${a.port}`);
  const c = await endpoint(`127.0.42.11:${a.port}`);
  host.now = { br0: [v4(b.host)], br1: [v4(c.host)] };
  await l.apply(config([a]));
  t.notOk(hosts.polling, 'no watched entry: the host is not read');
  await l.apply(config([a], {}, [iface('br0', a.port)]));
  t.ok(hosts.polling);
  t.same(show(l.endpoints()), show([a, b]), 'bound during apply(): an address already there is listened on at once');
  t.match(infos(log, 'listening on these while the host has their addresses'), [{ watch: [`interface br0 port ${a.port} (when present)`] }]);
  const [watchedPair] = (l as unknown as { watchedPairs: Map<string, unknown> }).watchedPairs.values();
  await l.apply(config([a], {}, [iface('br0', a.port)]));
  t.equal(infos(log, 'listening on these while the host has their addresses').length, 1, 'the same entries again: logged once');
  await l.apply(config([a], { tcpIdleTimeoutMs: 200 }, [iface('br0', a.port), optional(c)]));
  t.ok(hosts.polling, 'still reading the host');
  t.same(show(l.endpoints()), show([a, b, c]));
  t.equal((l as unknown as { watchedPairs: Map<string, unknown> }).watchedPairs.get(`${b.host}:${b.port}`), watchedPair, "b's sockets are kept");
  const conn = await TcpClient.connect(b.host, b.port);
  t.teardown(() => conn.destroy());
  t.ok(await conn.closedWithin(SLACK_MS), 'the new idle timeout reaches the watched listener it kept');
  await l.apply(config([a], {}, [optional(c)]));
  t.same(show(l.endpoints()), show([a, c]));
  t.ok(await free(b));
  t.match(infos(log, 'listen entry removed: stopped listening'), [{ listen: `${b.host}:${b.port}`, interface: 'br0' }]);
  await l.apply(config([a]));
  t.same(show(l.endpoints()), show([a]));
  t.ok(await free(c));
  t.notOk(hosts.polling, 'the last watched entry is gone: so is the poll');
  t.equal(infos(log, 'listening on these while the host has their addresses').length, 3, 'no such line for an empty list');
});

// listen: [0.0.0.0:53, iface:docker0] must not fail with "in use" on docker0's address, and an
// address that becomes a plain listen entry on reload must not be bound a second time.
t.test('a watched endpoint a plain address already covers is left alone; a plain one takes over its sockets', async (t) => {
  const { l, log, host } = watchedListeners(t);
  const b = await endpoint('127.0.42.12');
  host.now = { br0: [v4(b.host)] };
  await l.apply(config([b], {}, [iface('br0', b.port)]));
  t.same(show(l.endpoints()), show([b]), 'once, as the plain address');
  const any = await endpoint(`0.0.0.0:${await freePort('0.0.0.0')}`);
  await l.apply(config([any], {}, [iface('br0', any.port)]));
  t.same(show(l.endpoints()), show([any]), 'covered by the IPv4 wildcard on the same port');
  await l.apply(config([], {}, [iface('br0', b.port)]));
  t.same(show(l.endpoints()), show([b]), 'watched again');
  const [pair] = (l as unknown as { watchedPairs: Map<string, unknown> }).watchedPairs.values();
  await l.apply(config([b]));
  t.same(show(l.endpoints()), show([b]));
  t.equal(pairsOf(l)[0], pair, 'the plain address took over the watched sockets (no second bind)');
  t.ok(await answers(b, 51));
  t.same(log.warnings(), []);
});

t.test('stopAccepting and close stop following the host and close the watched sockets', async (t) => {
  const { l, host, hosts } = watchedListeners(t);
  const b = await endpoint('127.0.42.13');
  host.now = { br0: [v4(b.host)] };
  await l.apply(config([], {}, [iface('br0', b.port)]));
  t.ok(hosts.polling);
  l.stopAccepting();
  t.notOk(hosts.polling, 'stopped reading the host');
  host.now = { br0: [v4(b.host), v4('127.0.42.14')] };
  await l.refresh();
  t.same(show(l.endpoints()), show([b]), 'nothing new is bound while stopping');
  await l.apply(config([], {}, [iface('br0', b.port), iface('br1', b.port)]));
  t.notOk(hosts.polling, 'a reload while stopping does not start reading again');
  await l.close();
  t.same(l.endpoints(), []);
  t.ok(await free(b));
});

/**
 * Listeners whose pipeline holds every answer until the test calls release(); `arrived(n)`
 * resolves once n queries have reached it, `ids` are the IDs of those that did.
 */
function heldListeners(t: Test) {
  const log = captureLog();
  const ids: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const l = new Listeners(
    pipelineOf(async (q) => {
      ids.push(q.bytes.readUInt16BE(0));
      for (const w of waiters.filter((w) => ids.length >= w.n)) w.resolve();
      await released;
      return answer(q.bytes, ['10.9.9.9']);
    }),
    config([]),
    log.logger,
    defaultPolicy(),
  );
  t.teardown(() => l.close());
  const arrived = (n: number) => (ids.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  return { l, log, ids, arrived, release };
}

/** A UDP socket that collects every datagram it receives, with its source. */
async function collector(t: Test) {
  const s = dgram.createSocket('udp4');
  const got: { id: number; from: string }[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  s.on('message', (msg, rinfo) => {
    got.push({ id: decode(msg).id ?? -1, from: `${rinfo.address}:${rinfo.port}` });
    for (const w of waiters.filter((w) => got.length >= w.n)) w.resolve();
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  t.teardown(() => s.close());
  const received = (n: number) => (got.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  return { s, got, received };
}

// A reload that moves the listen address must not drop the answers already being computed.
t.test('a reload that removes an address answers its queries in flight on their sockets, then closes it', async (t) => {
  const { l, log, ids, arrived, release } = heldListeners(t);
  const a = await endpoint('127.0.43.2');
  const b = await endpoint('127.0.43.3');
  await l.apply(config([a]));
  const c = await collector(t);
  for (let id = 1; id <= 20; id++) c.s.send(query('held.example', 'A', { id }), a.port, a.host);
  const tcp = await TcpClient.connect(a.host, a.port);
  t.teardown(() => tcp.destroy());
  tcp.send(...[21, 22, 23, 24, 25].map((id) => query('held.example', 'A', { id })));
  await arrived(25);
  await l.apply(config([b]));
  t.same(show(l.endpoints()), show([b]), 'b is the only address listed');
  c.s.send(query('late.example', 'A', { id: 99 }), a.port, a.host); // a takes no new query
  const closed = log.next((line) => line.msg === 'answered its last queries: closed');
  release();
  await c.received(20);
  t.same(c.got.map((g) => g.id).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1), 'every held UDP query answered');
  t.ok(c.got.every((g) => g.from === `${a.host}:${a.port}`), "from a's socket, where each was asked");
  const replies = await tcp.waitReplies(5);
  t.same(replies.map((r) => decode(r).id).sort(), [21, 22, 23, 24, 25], 'every held TCP query answered on its connection');
  await closed;
  t.match(log.lines.find((line) => line.msg === 'answered its last queries: closed'), { listen: `${a.host}:${a.port}` });
  t.ok(await free(a), "then a's sockets are closed");
  t.equal(decode(await udpExchange(b.host, b.port, query('b.example', 'A', { id: 100 }))).id, 100, 'b answers');
  t.notOk(ids.includes(99), 'the query sent to a after the reload never reached the pipeline');
});

// Moving away and back before the last answers are out: the socket still bound is taken back.
t.test('an address listed again while it is still answering takes queries again on the same socket', async (t) => {
  const { l, arrived, release } = heldListeners(t);
  const a = await endpoint('127.0.43.4');
  const b = await endpoint('127.0.43.5');
  await l.apply(config([a]));
  const c = await collector(t);
  c.s.send(query('held.example', 'A', { id: 1 }), a.port, a.host);
  await arrived(1);
  await l.apply(config([b]));
  await l.apply(config([a]));
  t.same(show(l.endpoints()), show([a]));
  c.s.send(query('again.example', 'A', { id: 2 }), a.port, a.host);
  await arrived(2);
  release();
  await c.received(2);
  t.same(c.got.map((g) => g.id).sort(), [1, 2], 'the held query and the new one are both answered');
  t.ok(await free(b), 'b is closed');
  const tcp = await TcpClient.connect(a.host, a.port);
  t.teardown(() => tcp.destroy());
  tcp.send(query('tcp.example', 'A', { id: 3 }));
  t.equal(decode((await tcp.waitReplies(1))[0]!).id, 3, 'a new TCP listener beside the socket taken back');
});

// A watched address going away is the same as a reload removing it.
t.test('a watched address that goes answers its queries in flight before closing', async (t) => {
  const log = captureLog();
  const host = { now: {} as Interfaces };
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let seen = 0;
  let first!: () => void;
  const firstSeen = new Promise<void>((resolve) => (first = resolve));
  const hosts = new HostAddresses(log.logger, { read: () => host.now, intervalMs: 60_000 });
  const l = new Listeners(
    pipelineOf(async (q) => {
      if (++seen === 1) first();
      await released;
      return answer(q.bytes, ['10.9.9.9']);
    }),
    config([]),
    log.logger,
    defaultPolicy(),
    hosts,
  );
  t.teardown(() => l.close());
  const b = await endpoint('127.0.43.6');
  host.now = { br0: [v4(b.host)] };
  await l.apply(config([], {}, [iface('br0', b.port)]));
  const c = await collector(t);
  c.s.send(query('held.example', 'A', { id: 7 }), b.port, b.host);
  await firstSeen;
  host.now = {};
  await l.refresh();
  t.same(l.endpoints(), [], 'no longer listed');
  release();
  await c.received(1);
  t.same(c.got, [{ id: 7, from: `${b.host}:${b.port}` }]);
});

t.test('UDP listening sockets ask for the configured buffer sizes, and the outcome is logged once', async (t) => {
  const { l, log } = listeners(t);
  const a = await endpoint('127.0.43.7');
  const b = await endpoint('127.0.43.8');
  const small = 64 * 1024;
  await l.apply(config([a, b], { udpRecvBuffer: small, udpSendBuffer: small }));
  const [pair] = pairsOf(l) as { udp: UdpListener }[];
  const granted = pair!.udp.bufferSizes();
  t.ok(granted.recv >= small, `receive buffer ${granted.recv} ≥ ${small} (Linux reports twice what it grants)`);
  t.ok(granted.send >= small, `send buffer ${granted.send} ≥ ${small}`);
  const lines = log.lines.filter((line) => /^UDP socket buffers/.test(line.msg as string));
  t.equal(lines.length, 1, 'one line for both sockets');
  t.match(lines[0], { askedRecv: small, grantedRecv: granted.recv, askedSend: small });
  await l.apply(config([a, b], { udpRecvBuffer: 2 * small, udpSendBuffer: small }));
  t.ok(pair!.udp.bufferSizes().recv >= 2 * small, 'a reload resizes the sockets it keeps');
  t.equal(log.lines.filter((line) => /^UDP socket buffers/.test(line.msg as string)).length, 2, 'new sizes: logged again');
});

t.test('a receive buffer larger than the kernel grants is a warning naming the sysctl', async (t) => {
  const { l, log } = listeners(t);
  const a = await endpoint('127.0.43.9');
  const proto = dgram.Socket.prototype as unknown as { getRecvBufferSize: () => number };
  const real = proto.getRecvBufferSize;
  proto.getRecvBufferSize = () => 425984; // twice a 208 KiB net.core.rmem_max
  t.teardown(() => void (proto.getRecvBufferSize = real));
  await l.apply(config([a], { udpRecvBuffer: 4 * 1024 * 1024 }));
  t.match(log.warnings(), [
    { msg: 'UDP socket buffers smaller than asked: bursts may be dropped by the kernel', askedRecv: 4194304, grantedRecv: 425984, advice: /net\.core\.rmem_max=4194304/ },
  ]);
});
