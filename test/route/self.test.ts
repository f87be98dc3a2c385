// A server is dnsfwd itself only when forwarding to it would reach dnsfwd: never forward there.
import t from 'tap';
import { parseEndpoint, type Endpoint } from '../../src/address.js';
import { selfReason } from '../../src/route/self.js';

const ep = (s: string): Endpoint => {
  const r = parseEndpoint(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

t.test('never forward to ourselves', async (t) => {
  const on53 = [ep('127.0.0.1:53'), ep('[::1]:53')];
  t.ok(selfReason(ep('127.0.0.1'), on53), '127.0.0.1:53 is us');
  t.ok(selfReason(ep('127.0.0.53'), on53), 'any 127/8 on port 53 while we listen on loopback:53');
  t.ok(selfReason(ep('::1'), on53));
  t.equal(selfReason(ep('127.0.0.1:8600'), on53), null, 'Consul on 8600 is fine');
  t.equal(selfReason(ep('192.168.121.1'), on53), null);
  const custom = [ep('127.0.0.2:5300')];
  t.ok(selfReason(ep('127.0.0.2:5300'), custom), 'exact listen address');
  t.equal(selfReason(ep('127.0.0.1:53'), custom), null, 'not listening on 53: 127.0.0.1:53 is someone else');
  t.ok(selfReason(ep('127.0.0.1'), [ep('0.0.0.0:53')]), 'wildcard listener covers loopback');
  t.ok(selfReason(ep('[::ffff:127.0.0.2]:5300'), custom), 'an IPv4-mapped spelling of a listen address');
  t.ok(selfReason(ep('[::ffff:127.0.0.9]:53'), on53), 'an IPv4-mapped loopback address on 53');
  t.equal(selfReason(ep('127.0.0.99:5300'), custom), null, 'another loopback address on our (non-53) port is someone else');
  t.ok(selfReason(ep('192.168.121.10'), [ep('0.0.0.0:53')], ['192.168.121.10']), 'wildcard listener: our own interface address');
  t.equal(selfReason(ep('192.168.121.1'), [ep('0.0.0.0:53')], ['192.168.121.10']), null, 'wildcard listener: another host');
});

// Guards `isLoopbackHost(l.host)` in the port-53 rule: listening on a LAN address's port 53 does
// not make a loopback resolver on 53 (systemd-resolved's 127.0.0.53) dnsfwd.
t.test('listening on port 53 of another address: a loopback server on 53 is someone else', async (t) => {
  t.equal(selfReason(ep('127.0.0.53'), [ep('192.168.121.10:53')]), null);
});

// Guards `l.port === server.port` in the wildcard rule: a wildcard listener covers its own port only.
t.test('a wildcard listener on 53: loopback or host addresses on other ports are someone else', async (t) => {
  t.equal(selfReason(ep('127.0.0.1:8600'), [ep('0.0.0.0:53')]), null, 'Consul on loopback 8600');
  t.equal(selfReason(ep('192.168.121.10:5353'), [ep('0.0.0.0:53')], ['192.168.121.10']), null, 'our own address, another port');
});
