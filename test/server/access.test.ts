// Access control: the most specific entry wins, IPv4 and IPv6 and IPv4-mapped clients; the
// default allows loopback and the connected subnets of the listen addresses (every subnet of the
// host for a wildcard) and refuses the rest; a new interface snapshot gives new subnets.
import type { NetworkInterfaceInfo } from 'node:os';
import t from 'tap';
import { type Endpoint, parseEndpoint, type WatchedListen } from '../../src/address.js';
import { AccessList, connectedSubnets, type HostInterfaces } from '../../src/server/access.js';
import type { AccessRule } from '../../src/server/client-config.js';
import { formatPrefix, parseIp } from '../../src/server/ip-prefix.js';

function addr(address: string, cidr: string): NetworkInterfaceInfo {
  const v6 = address.includes(':');
  const base = { address, cidr, netmask: '', mac: '00:00:00:00:00:00', internal: false };
  return v6 ? { ...base, family: 'IPv6', scopeid: 0 } : { ...base, family: 'IPv4' };
}

/** A host with loopback, eth0 on 10.77.0.0/24 and 2001:db8:77::/64, and docker0 on 172.17.0.0/16. */
const HOST: HostInterfaces = {
  lo: [addr('127.0.0.1', '127.0.0.1/8'), addr('::1', '::1/128')],
  eth0: [addr('10.77.0.1', '10.77.0.1/24'), addr('2001:db8:77::1', '2001:db8:77::1/64'), addr('fe80::1', 'fe80::1/64')],
  docker0: [addr('172.17.0.1', '172.17.0.1/16')],
};

function listen(...texts: string[]): Endpoint[] {
  return texts.map((s) => {
    const e = parseEndpoint(s);
    if (!e.ok) throw new Error(e.reason);
    return e.value;
  });
}

function list(rules: AccessRule[], on: Endpoint[] = listen('127.0.0.1'), host: HostInterfaces = HOST, watched: WatchedListen[] = []) {
  return new AccessList(rules, on, watched, host);
}

const decide = (l: AccessList, address: string) => {
  const ip = parseIp(address);
  if (ip === null) throw new Error(address);
  return l.decide(ip);
};
const action = (l: AccessList, address: string) => decide(l, address).action;

t.test('the most specific entry wins, whatever the order they are listed in', async (t) => {
  const rules: AccessRule[] = [
    { from: '10.0.0.0/8', action: 'refuse' },
    { from: '10.1.2.0/24', action: 'drop' },
    { from: '10.1.0.0/16', action: 'allow' },
  ];
  for (const order of [rules, [...rules].reverse()]) {
    const l = list(order);
    t.same(decide(l, '10.9.9.9'), { action: 'refuse', entry: '10.0.0.0/8' });
    t.same(decide(l, '10.1.9.9'), { action: 'allow', entry: '10.1.0.0/16' });
    t.same(decide(l, '10.1.2.3'), { action: 'drop', entry: '10.1.2.0/24' });
    t.same(decide(l, '11.0.0.1'), { action: 'refuse', entry: null }, 'no entry: the default refuses');
  }
});

t.test('IPv4-mapped clients are matched as IPv4; IPv6 by its own entries', async (t) => {
  const l = list([
    { from: '192.168.200.0/24', action: 'allow' },
    { from: '2001:db8::/32', action: 'drop' },
    { from: '2001:db8:1::/48', action: 'allow' },
  ]);
  t.equal(action(l, '::ffff:192.168.200.2'), 'allow');
  t.equal(action(l, '192.168.200.2'), 'allow');
  t.equal(action(l, '2001:db8:2::1'), 'drop');
  t.equal(action(l, '2001:db8:1::1'), 'allow');
  t.equal(action(l, '2001:db9::1'), 'refuse');
});

t.test('the default: loopback and the connected subnets of a specific listen address', async (t) => {
  const l = list([], listen('10.77.0.1', '127.0.0.1'));
  for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '10.77.0.200']) t.same(decide(l, a), { action: 'allow', entry: null }, a);
  for (const a of ['172.17.0.2', '10.77.1.1', '2001:db8:77::2', '192.168.200.2', '::2']) t.equal(action(l, a), 'refuse', a);
  t.same(l.connected(), ['127.0.0.0/8', '10.77.0.0/24'], 'the subnets of 127.0.0.1 and 10.77.0.1 only');
});

t.test('the default with a wildcard listen address: every subnet of the host, nothing else', async (t) => {
  for (const wildcard of ['0.0.0.0', '[::]']) {
    const l = list([], listen(wildcard));
    for (const a of ['10.77.0.9', '2001:db8:77::9', 'fe80::9', '172.17.3.4', '127.0.0.1']) t.equal(action(l, a), 'allow', `${wildcard}: ${a}`);
    for (const a of ['192.168.200.2', '8.8.8.8', '2001:db8:78::1']) t.equal(action(l, a), 'refuse', `${wildcard}: ${a}`);
    t.same(l.connected(), ['127.0.0.0/8', '::1/128', '10.77.0.0/24', '2001:db8:77::/64', 'fe80::/64', '172.17.0.0/16']);
  }
});

t.test('watched listen entries: an interface gives all its subnets, an address its own', async (t) => {
  const port = 53;
  const ep = listen('172.17.0.1')[0]!;
  const byName = connectedSubnets([], [{ kind: 'interface', name: 'eth0', port }], HOST).map(formatPrefix);
  t.same(byName, ['10.77.0.0/24', '2001:db8:77::/64', 'fe80::/64']);
  t.same(connectedSubnets([], [{ kind: 'address', endpoint: ep }], HOST).map(formatPrefix), ['172.17.0.0/16']);
  t.same(connectedSubnets(listen('10.99.0.1'), [], HOST), [], 'an address not on the host: none');
  const noCidr = { eth9: [{ ...addr('10.5.0.1', '10.5.0.1/24'), cidr: null }, addr('10.6.0.1', 'garbage'), addr('10.7.0.1', '10.7.0.1/24')] };
  t.same(connectedSubnets(listen('0.0.0.0'), [], noCidr).map(formatPrefix), ['10.7.0.0/24'], 'an address without a cidr, or a cidr that does not parse: none');
  const badAddress = { eth9: [addr('not-an-address', '10.8.0.1/24'), addr('10.7.0.1', '10.7.0.1/24')] };
  t.same(connectedSubnets(listen('10.7.0.1'), [], badAddress).map(formatPrefix), ['10.7.0.0/24'], 'an address that does not parse: none');
});

t.test('a new interface snapshot (a bridge that appeared) gives a new default', async (t) => {
  const before = list([], listen('0.0.0.0'), { lo: HOST.lo });
  t.equal(action(before, '172.17.0.2'), 'refuse', 'no docker0 yet');
  const after = list([], listen('0.0.0.0'), HOST);
  t.equal(action(after, '172.17.0.2'), 'allow', 'docker0 is there');
});

t.test("the built-in entries take part as Unbound's do: the most specific wins, a configured one at the same prefix", async (t) => {
  const l = list([{ from: '0.0.0.0/0', action: 'drop' }, { from: '10.77.0.128/25', action: 'refuse' }], listen('0.0.0.0'));
  t.same(decide(l, '127.0.0.1'), { action: 'allow', entry: null }, "0.0.0.0/0 does not outrank loopback's /8");
  t.same(decide(l, '10.77.0.9'), { action: 'allow', entry: null }, "nor the connected subnet's /24");
  t.same(decide(l, '10.77.0.200'), { action: 'refuse', entry: '10.77.0.128/25' }, 'a more specific entry inside it does');
  t.same(decide(l, '10.88.0.2'), { action: 'drop', entry: '0.0.0.0/0' }, 'strangers: the configured /0 beats the built-in refuse');
  t.same(decide(l, '2001:db8::1'), { action: 'refuse', entry: null }, 'IPv6 strangers: the built-in ::/0');
  const own = list([{ from: '127.0.0.0/8', action: 'refuse' }, { from: '10.77.0.0/24', action: 'drop' }], listen('0.0.0.0'));
  t.same(decide(own, '127.0.0.1'), { action: 'refuse', entry: '127.0.0.0/8' }, 'an entry for loopback itself wins');
  t.same(decide(own, '10.77.0.9'), { action: 'drop', entry: '10.77.0.0/24' }, 'and for a connected subnet itself');
  t.equal(action(own, '::1'), 'allow', 'IPv6 loopback: no IPv6 entry, the built-in one');
});

t.test('loopbackByDefault: true unless an entry as specific as a loopback prefix covers part of it', async (t) => {
  t.ok(list([]).loopbackByDefault);
  t.ok(list([{ from: '10.0.0.0/8', action: 'refuse' }, { from: '2001:db8::/32', action: 'allow' }]).loopbackByDefault);
  for (const from of ['0.0.0.0/0', '0.0.0.0/1', '::/0', '::/64']) t.ok(list([{ from, action: 'refuse' }]).loopbackByDefault, `${from}: loopback's own prefix wins`);
  for (const from of ['127.0.0.0/8', '127.0.0.2/32', '::1/128']) t.notOk(list([{ from, action: 'refuse' }]).loopbackByDefault, from);
});
