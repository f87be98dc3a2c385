// The client policy: access control's refuse and drop, rate limiting for UDP only and never for
// loopback, counters, a line a minute per subnet (injected clock), decisions kept per address and
// forgotten when the config or the host's interfaces change, TCP connections.
import type { NetworkInterfaceInfo } from 'node:os';
import t from 'tap';
import { parseEndpoint, type Endpoint } from '../../src/address.js';
import { ClientPolicy } from '../../src/server/admission.js';
import type { HostInterfaces } from '../../src/server/access.js';
import type { AccessRule, ClientConfig, RateLimitConfig } from '../../src/server/client-config.js';
import { captureLog, LEVEL, quietLogger } from '../helpers/logger.js';

const NO_LIMIT: RateLimitConfig = { responsesPerSecond: 0, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 };

function ep(text: string): Endpoint {
  const e = parseEndpoint(text);
  if (!e.ok) throw new Error(e.reason);
  return e.value;
}

function config(access: AccessRule[] = [], rateLimit: RateLimitConfig = NO_LIMIT, listen = ['0.0.0.0']): ClientConfig {
  return { access, rateLimit, listen: listen.map(ep), listenWatched: [] };
}

const v4 = (address: string, cidr: string): NetworkInterfaceInfo => ({ address, cidr, netmask: '', family: 'IPv4', mac: '', internal: false });
const HOST: HostInterfaces = { lo: [v4('127.0.0.1', '127.0.0.1/8')], eth0: [v4('10.77.0.1', '10.77.0.1/24')] };

function policy(c: ClientConfig, host: HostInterfaces = HOST, log = quietLogger()) {
  let now = 1_000_000;
  const p = new ClientPolicy(c, host, log, () => now);
  return { p, later: (ms: number) => (now += ms) };
}

const from = (address: string) => ({ address, port: 40000 });

t.test('allowed, refused and dropped clients over UDP and TCP; counted', async (t) => {
  const { p } = policy(config([{ from: '192.168.200.0/24', action: 'drop' }]));
  t.equal(p.admit(from('127.0.0.1'), 'udp'), 'answer');
  t.equal(p.admit(from('10.77.0.2'), 'udp'), 'answer', 'connected');
  t.equal(p.admit(from('10.88.0.2'), 'udp'), 'refuse');
  t.equal(p.admit(from('10.88.0.2'), 'tcp'), 'refuse', 'each TCP query is refused');
  t.equal(p.admit(from('192.168.200.2'), 'udp'), 'drop');
  t.equal(p.admit(from('::ffff:192.168.200.2'), 'tcp'), 'drop');
  t.same(p.stats(), { refused: 2, dropped: 2, rateLimitedTruncated: 0, rateLimitedDropped: 0, fromOurselves: 0 });
});

t.test('a TCP connection from a dropped client is not accepted; refused ones are (to say REFUSED)', async (t) => {
  const { p } = policy(config([{ from: '192.168.200.0/24', action: 'drop' }]));
  t.ok(p.acceptsConnection(from('127.0.0.1')));
  t.ok(p.acceptsConnection(from('10.77.0.2')));
  t.ok(p.acceptsConnection(from('10.88.0.2')), 'refused: kept, each query gets REFUSED');
  t.notOk(p.acceptsConnection(from('192.168.200.2')));
  t.notOk(p.acceptsConnection(from('')), 'no address (a socket already gone)');
  t.same(p.stats(), { refused: 0, dropped: 2, rateLimitedTruncated: 0, rateLimitedDropped: 0, fromOurselves: 0 });
});

t.test('loopback refused by an entry is refused (no fast path then)', async (t) => {
  const { p } = policy(config([{ from: '127.0.0.2/32', action: 'refuse' }, { from: '::1/128', action: 'drop' }]));
  t.equal(p.admit(from('127.0.0.2'), 'udp'), 'refuse');
  t.equal(p.admit(from('127.0.0.1'), 'udp'), 'answer');
  t.equal(p.admit(from('::1'), 'udp'), 'drop');
  t.notOk(p.acceptsConnection(from('::1')));
});

t.test('rate limit: over UDP past N a second, the slip pattern; TCP and loopback never limited', async (t) => {
  const { p, later } = policy(config([], { responsesPerSecond: 3, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 }));
  const burst = (address: string, transport: 'udp' | 'tcp', n = 7) => Array.from({ length: n }, () => p.admit(from(address), transport));
  t.same(burst('10.77.0.2', 'udp'), ['answer', 'answer', 'answer', 'drop', 'truncate', 'drop', 'truncate']);
  t.same(burst('10.77.0.3', 'udp', 1), ['drop'], 'the same /24 shares the count');
  t.same(burst('10.77.0.2', 'tcp', 3), ['answer', 'answer', 'answer'], 'TCP: never limited');
  t.same(new Set(burst('127.0.0.1', 'udp', 50)), new Set(['answer']), 'loopback: never limited');
  t.same(new Set(burst('::ffff:127.0.0.1', 'udp', 50)), new Set(['answer']), 'loopback, IPv4-mapped: never limited');
  t.same(burst('10.88.0.2', 'udp', 5), ['refuse', 'refuse', 'refuse', 'drop', 'truncate'], 'REFUSED answers are responses too');
  t.same(p.stats(), { refused: 3, dropped: 0, rateLimitedTruncated: 3, rateLimitedDropped: 4, fromOurselves: 0 });
  later(1000);
  t.same(burst('10.77.0.2', 'udp', 1), ['answer'], 'a new second');
});

t.test('rate limit: the configured prefix lengths group clients', async (t) => {
  const { p } = policy(config([{ from: '::/0', action: 'allow' }, { from: '0.0.0.0/0', action: 'allow' }], { responsesPerSecond: 1, slip: 0, ipv4Prefix: 32, ipv6Prefix: 64 }));
  t.equal(p.admit(from('10.1.1.1'), 'udp'), 'answer');
  t.equal(p.admit(from('10.1.1.2'), 'udp'), 'answer', '/32: another client');
  t.equal(p.admit(from('2001:db8:0:1::1'), 'udp'), 'answer');
  t.equal(p.admit(from('2001:db8:0:1::2'), 'udp'), 'drop', 'the same /64');
  t.equal(p.admit(from('2001:db8:0:2::1'), 'udp'), 'answer', 'another /64');
});

t.test('a line a minute per /24 with the count since the last, warn for the default, info for an entry', async (t) => {
  const { logger, lines } = captureLog('info');
  const { p, later } = policy(config([{ from: '192.168.200.0/24', action: 'drop' }]), HOST, logger);
  lines.length = 0;
  for (let i = 0; i < 5; i++) p.admit(from(`10.88.0.${i}`), 'udp');
  p.admit(from('10.88.1.1'), 'udp');
  p.admit(from('192.168.200.2'), 'udp');
  p.admit(from('192.168.200.3'), 'udp');
  t.match(lines, [
    { level: LEVEL.warn, msg: 'queries refused', subnet: '10.88.0.0/24', client: '10.88.0.0', queries: 1, entry: 'default' },
    { level: LEVEL.warn, msg: 'queries refused', subnet: '10.88.1.0/24', queries: 1 },
    { level: LEVEL.info, msg: 'queries dropped', subnet: '192.168.200.0/24', queries: 1, entry: '192.168.200.0/24' },
  ]);
  t.equal(lines.length, 3);
  later(59_999);
  p.admit(from('10.88.0.9'), 'udp');
  t.equal(lines.length, 3, 'not yet a minute');
  later(1);
  p.admit(from('10.88.0.9'), 'udp');
  t.match(lines[3], { msg: 'queries refused', subnet: '10.88.0.0/24', client: '10.88.0.9', queries: 6 }, 'four quiet ones, and these two');
});

t.test('rate limiting: a line a minute per prefix', async (t) => {
  const { logger, lines } = captureLog('info');
  const { p, later } = policy(config([], { responsesPerSecond: 1, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56 }), HOST, logger);
  lines.length = 0;
  for (let i = 0; i < 10; i++) p.admit(from('10.77.0.2'), 'udp');
  t.match(lines, [{ level: LEVEL.warn, msg: 'responses rate limited', prefix: '10.77.0.0/24', responses: 1, limit: 1, slip: 2 }]);
  later(60_000);
  p.admit(from('10.77.0.2'), 'udp');
  p.admit(from('10.77.0.2'), 'udp');
  t.match(lines[1], { msg: 'responses rate limited', responses: 9 }, 'the 8 unlogged, and the one over the limit now');
});

t.test('a new config or interface snapshot replaces the decisions already made', async (t) => {
  const { logger, lines } = captureLog('info');
  const { p } = policy(config(), { lo: HOST.lo }, logger);
  t.match(lines, [{ msg: 'connected subnets allowed by default', subnets: ['127.0.0.0/8'] }]);
  t.equal(p.admit(from('10.77.0.2'), 'udp'), 'refuse', 'no eth0 yet');
  p.setHostInterfaces(HOST);
  t.match(lines[lines.length - 1], { msg: 'connected subnets allowed by default', subnets: ['127.0.0.0/8', '10.77.0.0/24'] });
  t.equal(p.admit(from('10.77.0.2'), 'udp'), 'answer', 'eth0 came: connected');
  const logged = lines.length;
  p.setHostInterfaces(HOST);
  t.equal(lines.length, logged, 'the same subnets: no new line');
  p.configure(config([{ from: '10.77.0.0/24', action: 'drop' }]));
  t.equal(p.admit(from('10.77.0.2'), 'udp'), 'drop', 'a new access list');
  p.configure(config([], NO_LIMIT, ['127.0.0.1']));
  t.equal(p.admit(from('10.77.0.2'), 'udp'), 'refuse', 'no longer listening on every address');
  p.configure(config([{ from: '127.0.0.0/8', action: 'refuse' }]));
  t.equal(p.admit(from('127.0.0.1'), 'udp'), 'refuse', 'the fast path follows the config');
});

t.test('a new rate limit applies at once', async (t) => {
  const { p } = policy(config());
  for (let i = 0; i < 20; i++) t.equal(p.admit(from('10.77.0.2'), 'udp'), 'answer');
  p.configure(config([], { responsesPerSecond: 1, slip: 1, ipv4Prefix: 24, ipv6Prefix: 56 }));
  t.same([p.admit(from('10.77.0.2'), 'udp'), p.admit(from('10.77.0.2'), 'udp')], ['answer', 'truncate']);
});

t.test('decisions are kept for a bounded number of addresses', async (t) => {
  const { p } = policy(config());
  const known = () => (p as unknown as { known: Map<string, unknown> }).known.size;
  for (let i = 0; i < 5000; i++) p.admit(from(`10.${i >> 8}.${i & 255}.1`), 'udp');
  t.ok(known() <= 4096, `${known()} kept`);
  t.ok(known() > 0);
});
