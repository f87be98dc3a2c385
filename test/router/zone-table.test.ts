import t from 'tap';
import { ZoneTable } from '../../src/router/zone-table.js';
import { selfReason } from '../../src/router/build.js';
import { parseEndpoint, type Endpoint } from '../../src/address.js';

const table = new ZoneTable([
  { zone: '', group: 'dhcp', cache: true },
  { zone: 'consul', group: 'consul', cache: true },
  { zone: 'service.dc2.consul', group: 'dc2', cache: true },
  { zone: 'vagrant.test', group: 'libvirt', cache: true },
  { zone: '121.168.192.in-addr.arpa', group: 'libvirt-reverse', cache: true },
]);

t.test('longest suffix wins, label by label', async (t) => {
  t.equal(table.lookup('web.service.consul').group, 'consul');
  t.equal(table.lookup('consul').group, 'consul');
  t.equal(table.lookup('db.service.dc2.consul').group, 'dc2');
  t.equal(table.lookup('service.dc2.consul').group, 'dc2');
  t.equal(table.lookup('dc2.consul').group, 'consul');
  t.equal(table.lookup('notconsul').group, 'dhcp', 'notconsul is not under consul');
  t.equal(table.lookup('consul.example.com').group, 'dhcp');
  t.equal(table.lookup('a\\046consul').group, 'dhcp', 'an escaped dot is not a label boundary');
  t.equal(table.lookup('node1.vagrant.test').group, 'libvirt');
  t.equal(table.lookup('10.121.168.192.in-addr.arpa').group, 'libvirt-reverse');
  t.equal(table.lookup('10.122.168.192.in-addr.arpa').group, 'dhcp');
  t.equal(table.lookup('').group, 'dhcp', 'the root itself');
  t.equal(table.lookup('example.com').zone, '');
});

t.test('a table needs a root route', async (t) => {
  t.throws(() => new ZoneTable([{ zone: 'consul', group: 1, cache: true }]));
});

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

t.test('lookupWire routes a question in wire format as lookup() routes its name', async (t) => {
  const names = [
    'web.service.consul', 'WEB.Service.CONSUL', 'consul', 'db.service.dc2.consul', 'service.dc2.consul', 'dc2.consul',
    'notconsul', 'consul.example.com', 'a\\046consul', 'node1.vagrant.test', 'Node1.Vagrant.Test', 'vagrant.test.evil',
    '10.121.168.192.in-addr.arpa', '10.122.168.192.in-addr.arpa', '', 'example.com', 'x.sul', 'onsul',
  ];
  for (const name of names) {
    const labels = name === '' ? [] : name.split(/(?<!\\046)\./);
    const wire = Buffer.concat([
      Buffer.alloc(12),
      ...labels.map((l) => {
        const text = Buffer.from(l.replace('\\046', '.'), 'latin1');
        return Buffer.concat([Buffer.from([text.length]), text]);
      }),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    t.equal(table.lookupWire(wire, 12).group, table.lookup(name.toLowerCase()).group, name || '(root)');
  }
});
