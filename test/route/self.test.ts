// A server is dnsfwd itself only when a query sent there reaches one of dnsfwd's own sockets:
// never forward there; every other server is used, loopback or not.
import t from 'tap';
import { parseEndpoint, type Endpoint, type WatchedListen } from '../../src/address.js';
import { needsHostInterfaces, selfReason, type HostInterfaces } from '../../src/route/self.js';

const ep = (s: string): Endpoint => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};
const at = (listen: string[], listenWatched: WatchedListen[] = []) => ({ listen: listen.map(ep), listenWatched });
const HOST: HostInterfaces = { lo: ['127.0.0.1', '::1'], eth0: ['192.168.121.10', 'fe80::1'], docker0: ['172.17.0.1'] };

t.test('one of our listen addresses, in any spelling, is us', async (t) => {
  const on53 = at(['127.0.0.1:53', '[::1]:53']);
  t.ok(selfReason(ep('127.0.0.1'), on53, HOST), '127.0.0.1:53');
  t.ok(selfReason(ep('::1'), on53, HOST), '[::1]:53');
  t.ok(selfReason(ep('[::ffff:127.0.0.1]:53'), on53, HOST), 'the IPv4-mapped spelling');
  t.ok(selfReason(ep('127.0.0.2:5300'), at(['127.0.0.2:5300']), HOST), 'a listen address on another port');
});

t.test('other loopback addresses on port 53 are someone else: resolved, NetworkManager, a local dnsmasq', async (t) => {
  const on53 = at(['127.0.0.1:53', '[::1]:53']);
  for (const s of ['127.0.0.2', '127.0.0.53', '127.0.1.1', '[::ffff:127.0.0.53]:53']) t.equal(selfReason(ep(s), on53, HOST), null, s);
  t.equal(selfReason(ep('127.0.0.1:8600'), on53, HOST), null, 'Consul on 8600');
  t.equal(selfReason(ep('192.168.121.1'), on53, HOST), null, 'another host');
  t.equal(selfReason(ep('192.168.121.10'), on53, HOST), null, 'our own LAN address, where we do not listen');
});

t.test('a wildcard listener: every address of this host of its family, on its port', async (t) => {
  const v4 = at(['0.0.0.0:53']);
  t.ok(selfReason(ep('127.0.0.1'), v4, HOST), 'loopback');
  t.ok(selfReason(ep('127.0.0.53'), v4, HOST), 'any 127/8 address reaches the wildcard socket');
  t.ok(selfReason(ep('192.168.121.10'), v4, HOST), 'our own interface address');
  t.ok(selfReason(ep('172.17.0.1'), v4, HOST), 'a bridge address of ours');
  t.equal(selfReason(ep('192.168.121.1'), v4, HOST), null, 'another host');
  t.equal(selfReason(ep('192.168.121.10:5353'), v4, HOST), null, 'our own address, another port');
  t.equal(selfReason(ep('127.0.0.1:8600'), v4, HOST), null, 'Consul on loopback 8600');
  t.equal(selfReason(ep('::1'), v4, HOST), null, '0.0.0.0 does not take IPv6');
  const v6 = at(['[::]:53']);
  t.ok(selfReason(ep('::1'), v6, HOST), ':: takes ::1');
  t.ok(selfReason(ep('fe80::1'), v6, HOST), 'and our IPv6 addresses');
  t.equal(selfReason(ep('127.0.0.1'), v6, HOST), null, ':: is IPv6 only (dnsfwd binds it so)');
});

t.test('watched listen entries: an optional address, an interface while it has the address', async (t) => {
  const optional = at(['127.0.0.1:53'], [{ kind: 'address', endpoint: ep('172.17.0.1:53') }]);
  t.ok(selfReason(ep('172.17.0.1'), optional, {}), 'an optional listen address, present or not');
  const iface = at(['127.0.0.1:53'], [{ kind: 'interface', name: 'docker0', port: 53 }]);
  t.match(selfReason(ep('172.17.0.1'), iface, HOST), /docker0/, 'the interface has it');
  t.equal(selfReason(ep('172.17.0.1'), iface, { lo: ['127.0.0.1'] }), null, 'the interface does not (yet)');
  t.equal(selfReason(ep('172.17.0.1:5353'), iface, HOST), null, 'another port');
  t.equal(selfReason(ep('192.168.121.10'), iface, HOST), null, 'another interface of ours');
});

t.test('the host interfaces are read only when a rule needs them', async (t) => {
  t.notOk(needsHostInterfaces(at(['127.0.0.1:53', '[::1]:53'])));
  t.ok(needsHostInterfaces(at(['0.0.0.0:53'])));
  t.ok(needsHostInterfaces(at(['[::]:53'])));
  t.ok(needsHostInterfaces(at(['127.0.0.1:53'], [{ kind: 'interface', name: 'docker0', port: 53 }])));
  t.notOk(needsHostInterfaces(at(['127.0.0.1:53'], [{ kind: 'address', endpoint: ep('172.17.0.1:53') }])));
});
