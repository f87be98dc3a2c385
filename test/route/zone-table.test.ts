// The zone table: longest suffix, label by label, on the wire-format name of a question.
import t from 'tap';
import { ZoneTable } from '../../src/route/zone-table.js';
import { presentationToWire } from '../../src/wire/name.js';

const table = new ZoneTable([
  { zone: '', group: 'dhcp', cache: true },
  { zone: 'consul', group: 'consul', cache: true },
  { zone: 'service.dc2.consul', group: 'dc2', cache: true },
  { zone: 'vagrant.test', group: 'libvirt', cache: true },
  { zone: '121.168.192.in-addr.arpa', group: 'libvirt-reverse', cache: true },
]);

/** The route of a presentation name (`\\DDD` escapes allowed). */
const lookup = (name: string) => table.lookup(presentationToWire(name), 0);

t.test('longest suffix wins, label by label', async (t) => {
  t.equal(lookup('web.service.consul').group, 'consul');
  t.equal(lookup('consul').group, 'consul');
  t.equal(lookup('db.service.dc2.consul').group, 'dc2');
  t.equal(lookup('service.dc2.consul').group, 'dc2');
  t.equal(lookup('dc2.consul').group, 'consul');
  t.equal(lookup('notconsul').group, 'dhcp', 'notconsul is not under consul');
  t.equal(lookup('consul.example.com').group, 'dhcp');
  t.equal(lookup('a\\046consul').group, 'dhcp', 'an escaped dot is not a label boundary');
  t.equal(lookup('node1.vagrant.test').group, 'libvirt');
  t.equal(lookup('10.121.168.192.in-addr.arpa').group, 'libvirt-reverse');
  t.equal(lookup('10.122.168.192.in-addr.arpa').group, 'dhcp');
  t.equal(lookup('').group, 'dhcp', 'the root itself');
  t.equal(lookup('example.com').zone, '');
});

t.test('a table needs a root route', async (t) => {
  t.throws(() => new ZoneTable([{ zone: 'consul', group: 1, cache: true }]));
});

t.test('a question in wire format routes as its presentation name does', async (t) => {
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
    t.equal(table.lookup(wire, 12).group, lookup(name.toLowerCase()).group, name || '(root)');
  }
});
